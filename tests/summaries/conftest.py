"""A small hand-built cohort whose every count is worked out by hand in the tests."""
from datetime import date
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.utils import timezone

from tests.factories import ExposurePeriodFactory, PatientFactory, ReactionFactory

AS_OF = date(2025, 6, 30)


@pytest.fixture(autouse=True)
def empty_cache():
    """Summaries are cached per data stamp; SQLite reuses ids after a test's rollback."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def cohort(site, other_site, product):
    """Exposed as of 2025-06-30: A, B, C (site-01), D, E (site-02); F starts later, G is voided.

    Counted reactions: R1, R2, R3, R4 (a draft) (site-01) and R6 (site-02), R7 (A, resolves after the
    as-of date); R5 is voided, R8 is after the as-of date and R9 belongs to a voided patient.
    """
    a = PatientFactory(site=site, patient_ref="A")
    b = PatientFactory(site=site, patient_ref="B")
    c = PatientFactory(site=site, patient_ref="C")
    d = PatientFactory(site=other_site, patient_ref="D")
    e = PatientFactory(site=other_site, patient_ref="E")
    f = PatientFactory(site=other_site, patient_ref="F")
    g = PatientFactory(site=site, patient_ref="G", voided_at=timezone.now(), void_reason="entered twice")

    ExposurePeriodFactory(patient=a, start_date=date(2024, 12, 1))  # 212 days to the as-of date
    ExposurePeriodFactory(patient=b, start_date=date(2025, 1, 15), end_date=date(2025, 3, 31))  # 76 days
    ExposurePeriodFactory(patient=b, start_date=date(2025, 4, 1), dose_mg_per_day=Decimal("200"))  # 91 days
    ExposurePeriodFactory(patient=c, start_date=date(2025, 2, 10), dose_mg_per_day=Decimal("200"))  # 141 days
    ExposurePeriodFactory(patient=d, start_date=date(2025, 1, 3), end_date=date(2025, 2, 28))  # 57 days
    ExposurePeriodFactory(patient=e, start_date=date(2024, 6, 1))  # 395 days
    ExposurePeriodFactory(patient=f, start_date=date(2025, 7, 15))
    ExposurePeriodFactory(patient=g, start_date=date(2025, 1, 1))

    ReactionFactory(reaction_ref="R1", patient=a, onset_date=date(2025, 1, 5), resolution_date=date(2025, 1, 20),
                    severity="mild", ctcae_grade=1, symptoms=["erythema", "pain"])  # 16 days
    ReactionFactory(reaction_ref="R2", patient=a, onset_date=date(2025, 2, 1), resolution_date=date(2025, 2, 5),
                    severity="moderate", ctcae_grade=2, symptoms=["swelling"], status="reviewed")  # 5 days
    ReactionFactory(reaction_ref="R3", patient=b, onset_date=date(2025, 1, 20), resolution_date=None,
                    outcome="not_recovered", severity="severe", ctcae_grade=3, symptoms=["erythema"])
    ReactionFactory(reaction_ref="R4", patient=c, onset_date=date(2025, 2, 12), resolution_date=date(2025, 2, 20),
                    ctcae_grade=1, status="draft")  # 9 days; drafts count, as in the aggregate reports
    ReactionFactory(reaction_ref="R5", patient=c, onset_date=date(2025, 2, 20), voided_at=timezone.now(),
                    void_reason="wrong patient")
    ReactionFactory(reaction_ref="R6", patient=d, onset_date=date(2025, 1, 10), resolution_date=date(2025, 2, 14),
                    severity="mild", ctcae_grade=None, symptoms=["erythema", "bruising"], status="reviewed")  # 36 d
    ReactionFactory(reaction_ref="R7", patient=a, onset_date=date(2025, 6, 25), resolution_date=date(2025, 7, 10),
                    severity="mild", ctcae_grade=1, symptoms=["pruritus"])
    ReactionFactory(reaction_ref="R8", patient=f, onset_date=date(2025, 7, 20), resolution_date=date(2025, 7, 30))
    ReactionFactory(reaction_ref="R9", patient=g, onset_date=date(2025, 1, 20))
    return {"A": a, "B": b, "C": c, "D": d, "E": e, "F": f, "G": g}
