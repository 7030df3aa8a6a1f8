"""The seed's profiles become several current ones, the overview primary with its 24-week horizon, and
Fleischmann 2006's ISR event rates by exposure period join them.

Each figure is as the cited source gives it; nothing in the code reads these numbers directly.
"""
from datetime import date
from decimal import Decimal

from django.db import migrations

FLEISCHMANN_CITATION = (
    "Fleischmann RM, Tesser J, Schiff MH, et al. Safety of extended treatment with anakinra in patients with "
    "rheumatoid arthritis. Ann Rheum Dis 2006;65(8):1006-1012. doi:10.1136/ard.2005.048371. Table 3: cumulative "
    "exposure-adjusted event rates, injection site reactions per 100 patient-years: 260.12 over 0-1 y "
    "(E = 1041.8 patient-years), 157.80 over 0-2 y (E = 1754.8), 122.26 over 0-3 y (E = 2273.0); placebo during "
    "the blinded phase 135.60 (E = 120.9); 1346 patients received anakinra."
)
FLEISCHMANN_RATES = [
    {"period": "0-1 y (cumulative)", "events_per_100py": 260.12, "patient_years": 1041.8},
    {"period": "0-2 y (cumulative)", "events_per_100py": 157.80, "patient_years": 1754.8},
    {"period": "0-3 y (cumulative)", "events_per_100py": 122.26, "patient_years": 2273.0},
    {"period": "placebo, blinded phase", "events_per_100py": 135.60, "patient_years": 120.9},
]


def seed(apps, schema_editor):
    Product = apps.get_model("products", "Product")
    ReferenceProfile = apps.get_model("products", "ReferenceProfile")
    # Whatever profile was "current" (there was one per product) becomes the primary one; run again
    # (the tests re-seed after emptying the tables), a product that has a primary profile keeps it.
    for product_id in ReferenceProfile.objects.filter(is_current=True).values_list("product_id", flat=True).distinct():
        if not ReferenceProfile.objects.filter(product_id=product_id, is_primary=True).exists():
            ReferenceProfile.objects.filter(
                pk=ReferenceProfile.objects.filter(product_id=product_id, is_current=True).order_by("pk").values("pk")[:1]
            ).update(is_primary=True)
    anakinra = Product.objects.filter(code="anakinra").first()
    if anakinra is None:
        return
    ReferenceProfile.objects.filter(product=anakinra, label="Kineret RA overview").update(follow_up_horizon_days=168)
    ReferenceProfile.objects.filter(product=anakinra, label="Kineret US Prescribing Information").update(
        is_current=True, isr_incidence_n=1565, comparator_n=733,
        notes="Placebo-controlled RA studies: 71% of 1565 patients on Kineret 100 mg/day versus 29% of 733 on "
              "placebo (the N of the label's adverse-reaction table).")
    ReferenceProfile.objects.get_or_create(
        product=anakinra, label="Fleischmann 2006 extended treatment",
        defaults=dict(
            source_citation=FLEISCHMANN_CITATION,
            source_url="https://pmc.ncbi.nlm.nih.gov/articles/PMC1798263/",
            source_document="Table 3, injection site reactions",
            effective_date=date(2006, 8, 1),
            event_rates_per_100py=FLEISCHMANN_RATES,
            safety_database_patients=1346,
            dose_mg_per_day=Decimal("100"), is_current=True, is_primary=False,
            notes="Event rates count every ISR (repeats included) over exposure time: compare with the EAER.",
        ))


class Migration(migrations.Migration):
    dependencies = [("products", "0003_risk_window_horizon_primary_profiles")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
