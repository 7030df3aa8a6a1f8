"""One site-01 record of every kind, and a user for every role the access tests try."""
from datetime import date
from types import SimpleNamespace

import pytest

from apps.imports.models import ImportJob
from apps.reactions.models import ReactionFollowUp
from apps.reports import services as report_services
from tests.factories import ExposurePeriodFactory, PatientFactory, ReactionFactory, UserFactory

E2B_READY = dict(onset_date=date(2025, 1, 10), resolution_date=date(2025, 1, 30), outcome="recovered",
                 seriousness=[], meddra_llt_code="10022086", meddra_version="27.1", causality="probable",
                 action_taken="unchanged", injection_site="abdomen_left", diameter_mm=35,
                 symptoms=["erythema", "swelling"], reporter_qualification="physician")


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Seven users per test: a cheap hasher keeps the matrix fast (hashing is not under test here)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def other_reviewer(other_site):
    """A reviewer bound to site-02: has every reviewer right, but only on site-02's records."""
    return UserFactory(username="reviewer-02", site=other_site, roles=["reviewer"])


@pytest.fixture
def users(reporter, other_reporter, reviewer, other_reviewer, analyst, admin_user):
    return {"anonymous": None, "reporter": reporter, "other_reporter": other_reporter, "reviewer": reviewer,
            "other_reviewer": other_reviewer, "analyst": analyst, "admin": admin_user,
            # Staff flags do not help an account without a role.
            "no_role": UserFactory(username="no-role", is_staff=True),
            "siteless_reporter": UserFactory(username="reporter-nosite", roles=["reporter"])}


@pytest.fixture
def world(site, product, reporter, sender):
    """Site-01 records in every workflow state, and a done aggregate report filtered to site-01."""
    patient = PatientFactory(site=site, patient_ref="P-SEC-1")
    exposure = ExposurePeriodFactory(patient=patient, product=product, start_date=date(2025, 1, 1))
    draft = ReactionFactory(patient=patient, product=product, reaction_ref="R-DRAFT", status="draft",
                            reporter=reporter, **{**E2B_READY, "causality": "", "onset_date": date(2025, 2, 1),
                                                  "resolution_date": date(2025, 2, 3)})
    submitted = ReactionFactory(patient=patient, product=product, reaction_ref="R-SUBMITTED", status="submitted",
                                reporter=reporter, **E2B_READY)
    reviewed = ReactionFactory(patient=patient, product=product, reaction_ref="R-REVIEWED", status="reviewed",
                               reporter=reporter, **{**E2B_READY, "onset_date": date(2025, 3, 1),
                                                     "resolution_date": date(2025, 3, 9)})
    for reaction in (draft, submitted, reviewed):
        reaction.full_clean()
    # A patient and period no reaction needs (voiding the period under the reactions above is refused).
    free_patient = PatientFactory(site=site, patient_ref="P-SEC-2")
    free_exposure = ExposurePeriodFactory(patient=free_patient, product=product, start_date=date(2025, 1, 1))
    # Follow-ups of two other locked cases: a draft and a submitted one (the reviewed case above has none).
    follow_ups = {}
    for index, status in enumerate(("draft", "submitted"), start=1):
        locked = ReactionFactory(patient=patient, product=product, reaction_ref=f"R-FU-{index}", status="reviewed",
                                 reporter=reporter, **{**E2B_READY, "onset_date": date(2025, 5, index),
                                                       "resolution_date": date(2025, 5, 20),
                                                       "received_date": date(2025, 5, 21)})
        follow_ups[status] = ReactionFollowUp.objects.create(
            reaction=locked, case_version=2, received_on=date(2025, 6, 1), summary="Resolved later than reported.",
            changes={"resolution_date": "2025-05-25"}, status=status, created_by=reporter)
    report = report_services.report_request(product=product, as_of=date(2025, 6, 30), site=site, queue=False)
    report = report_services.report_run(report_id=report.pk)
    assert report.status == "done", report.error
    from tests.e2b.test_inbox import FDA_EXAMPLE
    from apps.e2b.inbox import e2b_import

    received = e2b_import(content=FDA_EXAMPLE.read_bytes(), filename="fda.xml")
    return SimpleNamespace(patient=patient, exposure=exposure, draft=draft, submitted=submitted, reviewed=reviewed,
                           report=report, free_patient=free_patient, free_exposure=free_exposure,
                           follow_up_draft=follow_ups["draft"], follow_up_submitted=follow_ups["submitted"],
                           import_job=ImportJob.objects.create(created_by=reporter),
                           incoming_batch=received.batch, incoming_case=received.cases[0])
