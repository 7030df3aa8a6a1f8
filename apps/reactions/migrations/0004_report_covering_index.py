"""A covering index for the aggregate report (issue 5).

(product, voided_at, patient, onset_date, severity, resolution_date) holds every column the report reads from
reactions, so its per-patient query (first onset, severe flag) and its duration grouping read this narrow
index in patient order instead of a million wide rows: on SQLite that is most of the report's time. voided_at is
a key column rather than a partial-index condition because SQLite 3.40 treats an index as covering only if it
holds every column the query names.
"""
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('reactions', '0003_reference_search_trgm'),
    ]

    operations = [
        migrations.AddIndex(
            model_name='injectionsitereaction',
            index=models.Index(fields=['product', 'voided_at', 'patient', 'onset_date', 'severity', 'resolution_date'],
                               name='isr_report_cover_idx'),
        ),
    ]
