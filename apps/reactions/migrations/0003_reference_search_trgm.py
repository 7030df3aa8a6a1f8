"""PostgreSQL only: a trigram index for searching by a fragment of a reaction reference.

The listing's search (`reaction_ref__icontains`, i.e. UPPER(reaction_ref) LIKE '%...%') otherwise reads
all reactions (0.2-0.6 s at a million). SQLite has no such index; it scans the narrower onset index.
"""
from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

INDEX = "isr_ref_trgm_idx"


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {INDEX} ON reactions_injectionsitereaction "
                              "USING gin (UPPER(reaction_ref::text) gin_trgm_ops)")


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):

    dependencies = [
        ('reactions', '0002_listing_indexes'),
    ]

    operations = [
        TrigramExtension(),
        migrations.RunPython(create_index, drop_index, elidable=False),
    ]
