"""Joins two migrations written in parallel (the date constraints and the index review); no operation."""
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("exposures", "0003_exposure_date_constraints"),
        ("exposures", "0003_drop_unread_indexes"),
    ]
    operations = []
