"""Seed anakinra with its documented RA injection-site-reaction profile.

The figures are data with their citation, editable in the admin afterwards; nothing in
the code reads these numbers directly.
"""
from datetime import date
from decimal import Decimal

from django.db import migrations

OVERVIEW_CITATION = (
    "Introduction to the use of Kineret (anakinra) in Rheumatoid Arthritis (RA), product overview, "
    "section 'Safety': integrated pharmacovigilance database of 2606 RA patients; injection site "
    "reaction in 64.4% (n = 1399), mild or moderate in 95% (n = 1333); mean duration of typical "
    "symptoms (erythema, bruising, inflammation, pain) 14-28 days (refs 13, 14 of the overview)."
)
LABEL_CITATION = (
    "KINERET (anakinra) injection, for subcutaneous use. US Prescribing Information, section 6.1 "
    "Clinical Trials Experience: injection-site reactions in 71% of patients on Kineret 100 mg/day "
    "versus 29% on placebo in placebo-controlled RA studies."
)


def seed(apps, schema_editor):
    Product = apps.get_model("products", "Product")
    ReferenceProfile = apps.get_model("products", "ReferenceProfile")
    anakinra, _ = Product.objects.get_or_create(
        code="anakinra", defaults={"name": "Kineret (anakinra)", "route": "subcutaneous"})
    ReferenceProfile.objects.get_or_create(
        product=anakinra, label="Kineret RA overview",
        defaults=dict(
            source_citation=OVERVIEW_CITATION,
            source_document="kineret-ra-overview.txt, Safety section",
            effective_date=date(2026, 11, 1),
            isr_incidence=Decimal("0.644"), isr_incidence_n=1399,
            mild_moderate_share=Decimal("0.95"), mild_moderate_n=1333,
            duration_min_days=14, duration_max_days=28,
            safety_database_patients=2606, exposed_6_months=1812, exposed_12_months=570,
            dose_mg_per_day=Decimal("100"), is_current=True,
            notes="Effective date is the date the overview was added to the tracker; n values are as cited.",
        ))
    ReferenceProfile.objects.get_or_create(
        product=anakinra, label="Kineret US Prescribing Information",
        defaults=dict(
            source_citation=LABEL_CITATION,
            source_url="https://www.accessdata.fda.gov/drugsatfda_docs/label/2020/103950s5189lbl.pdf",
            source_document="Section 6.1",
            effective_date=date(2020, 12, 1),
            isr_incidence=Decimal("0.71"), comparator_incidence=Decimal("0.29"),
            dose_mg_per_day=Decimal("100"), is_current=False,
            notes="Placebo-controlled RA studies; the label gives no n beside the percentages.",
        ))


class Migration(migrations.Migration):
    dependencies = [("products", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
