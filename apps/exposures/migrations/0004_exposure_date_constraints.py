"""Date order as a CHECK on both backends; on PostgreSQL, no two live periods of one patient and product
may overlap (an exclusion constraint over inclusive date ranges, an ongoing period being unbounded)."""
from django.conf import settings
from django.db import migrations, models

EXCLUSION = "exposure_live_periods_do_not_overlap"


def add_exclusion(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    schema_editor.execute(
        f"ALTER TABLE exposures_exposureperiod ADD CONSTRAINT {EXCLUSION} EXCLUDE USING gist "
        "(patient_id WITH =, product_id WITH =, daterange(start_date, end_date, '[]') WITH &&) "
        "WHERE (voided_at IS NULL)")


def drop_exclusion(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"ALTER TABLE exposures_exposureperiod DROP CONSTRAINT IF EXISTS {EXCLUSION}")


class Migration(migrations.Migration):

    dependencies = [
        ('exposures', '0003_drop_unread_indexes'),
        ('patients', '0003_reference_search_trgm'),
        ('products', '0002_seed_anakinra'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddConstraint(
            model_name='exposureperiod',
            constraint=models.CheckConstraint(condition=models.Q(('end_date__isnull', True), ('end_date__gte', models.F('start_date')), _connector='OR'), name='exposure_ends_on_or_after_start'),
        ),
        migrations.RunPython(add_exclusion, drop_exclusion),
    ]
