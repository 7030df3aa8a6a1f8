"""A small hand-made cohort whose report is worked out on paper in test_pv_aggregate.py.

As of D = 2026-06-30 (days inclusive):
  A  site-01  2026-01-01 → ongoing (clipped to D)            181 days
       R1 onset 2026-01-10 resolved 2026-01-29 mild         duration 20, first ISR day 10
       R2 onset 2026-03-01 ongoing moderate                  censored at 122
       (voided reaction 2026-02-01; another product's reaction: not counted)
  B  site-01  2025-06-01 → 2025-12-31 100 mg (214 days) + 2026-01-01 → ongoing 200 mg (181 days) = 395 days
       R3 onset 2025-06-05 resolved 2025-06-30 severe        duration 26, first ISR day 5
       R4 onset 2026-07-05                                   after D: not counted
  C  site-01  2025-10-01 → 2026-03-31                        182 days (one short of 6 months), no ISR:
                                                             censored at 182
  D  site-01  2025-01-02 → 2025-12-31                        364 days (6 months, not 12)
       R5 onset 2025-02-01 resolved 2025-03-15 mild          duration 43, first ISR day 31
       R6 onset 2025-04-01 resolved 2026-07-10 moderate      resolved after D: censored at 456
  I  site-02  2026-04-01 → 2026-04-30                        30 days
       R7 onset 2026-04-10 resolved 2026-04-20 mild          duration 11, first ISR day 10
Excluded: E (voided patient), F (only exposure voided), G (exposure starts after D).
"""
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.utils import timezone

from tests.factories import ExposurePeriodFactory, PatientFactory, ProductFactory, ReactionFactory

AS_OF = date(2026, 6, 30)


@dataclass
class Cohort:
    patients: dict
    reactions: dict


def build_cohort(site, other_site) -> Cohort:
    voided = {"voided_at": timezone.now(), "void_reason": "entered in error"}
    patients = {name: PatientFactory(site=site, patient_ref=f"P-{name}") for name in "ABCDEFG"}
    patients["I"] = PatientFactory(site=other_site, patient_ref="P-I")
    E = patients["E"]
    E.voided_at, E.void_reason = timezone.now(), "duplicate patient"
    E.save()

    def period(name, start, end=None, dose="100", **extra):
        return ExposurePeriodFactory(patient=patients[name], start_date=start, end_date=end,
                                     dose_mg_per_day=Decimal(dose), **extra)

    def reaction(name, ref, onset, resolution=None, severity="mild", **extra):
        outcome = "recovered" if resolution else "not_recovered"
        return ReactionFactory(patient=patients[name], reaction_ref=ref, onset_date=onset,
                               resolution_date=resolution, severity=severity, outcome=outcome, **extra)

    period("A", date(2026, 1, 1))
    period("B", date(2025, 6, 1), date(2025, 12, 31), dose="100")
    period("B", date(2026, 1, 1), dose="200")
    period("C", date(2025, 10, 1), date(2026, 3, 31))
    period("D", date(2025, 1, 2), date(2025, 12, 31))
    period("E", date(2025, 1, 1))
    period("F", date(2025, 1, 1), **voided)
    period("G", date(2026, 7, 15))
    period("I", date(2026, 4, 1), date(2026, 4, 30))

    other_product = ProductFactory(code="other-biologic")
    ExposurePeriodFactory(patient=patients["A"], product=other_product, start_date=date(2026, 1, 1))
    reactions = {
        "R1": reaction("A", "R1", date(2026, 1, 10), date(2026, 1, 29), "mild"),
        "R2": reaction("A", "R2", date(2026, 3, 1), None, "moderate"),
        "R3": reaction("B", "R3", date(2025, 6, 5), date(2025, 6, 30), "severe"),
        "R4": reaction("B", "R4", date(2026, 7, 5), None, "mild"),
        "R5": reaction("D", "R5", date(2025, 2, 1), date(2025, 3, 15), "mild"),
        "R6": reaction("D", "R6", date(2025, 4, 1), date(2026, 7, 10), "moderate"),
        "R7": reaction("I", "R7", date(2026, 4, 10), date(2026, 4, 20), "mild"),
        # Not counted:
        "voided": reaction("A", "RV", date(2026, 2, 1), None, "severe", **voided),
        "other_product": reaction("A", "RO", date(2026, 1, 5), None, "severe", product=other_product),
        "voided_patient": reaction("E", "RE", date(2025, 2, 1), None, "severe"),
        "voided_exposure": reaction("F", "RF", date(2025, 2, 1), None, "severe"),
        "not_yet_exposed": reaction("G", "RG", date(2026, 7, 20), None, "severe"),
    }
    return Cohort(patients=patients, reactions=reactions)
