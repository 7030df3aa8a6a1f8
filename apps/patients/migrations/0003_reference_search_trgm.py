"""PostgreSQL only: a trigram index for searching by a fragment of a patient reference.

Patient, period and reaction listings search `patient_ref__icontains`; without it each search reads
every patient. SQLite has no such index; it scans the narrower patient_list_ref_idx.
"""
from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

INDEX = "patient_ref_trgm_idx"


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {INDEX} ON patients_patient "
                              "USING gin (UPPER(patient_ref::text) gin_trgm_ops)")


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):

    dependencies = [
        ('patients', '0002_listing_indexes'),
    ]

    operations = [
        TrigramExtension(),
        migrations.RunPython(create_index, drop_index, elidable=False),
    ]
