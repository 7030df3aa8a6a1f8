"""Every web form posted with arbitrary values: never a server error, and either valid data
saved through the service or nothing written at all (rows and history rows counted)."""
from dataclasses import dataclass, field
from datetime import date
from typing import Callable

import pytest
from django.db import models, transaction
from django.forms.models import model_to_dict
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from apps.e2b.models import E2bExport
from apps.exposures.models import ExposurePeriod
from apps.patients.models import Patient
from apps.reactions import choices
from apps.reactions.models import InjectionSiteReaction
from apps.reports.models import AggregateReport
from tests.factories import (SIGN_EXPORT, SIGN_REVIEW, SIGN_VOID, ExposurePeriodFactory, PatientFactory, ReactionFactory,
                             UserFactory)

from .conftest import row_counts
from .strategies import junk

pytestmark = pytest.mark.django_db

CHOICE_VALUES = sorted({str(value) for enum in (choices.Severity, choices.CtcaeGrade, choices.Symptom,
                                                 choices.Seriousness, choices.Outcome, choices.ActionTaken,
                                                 choices.Causality, choices.InjectionSite,
                                                 choices.ReporterQualification, choices.Status)
                        for value in enum.values} | {"female", "male", "unknown", "subcutaneous", "intravenous"})
EXAMPLES = settings(max_examples=35, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

E2B_READY = dict(onset_date=date(2025, 1, 10), resolution_date=date(2025, 1, 30), outcome="recovered",
                 seriousness=[], meddra_llt_code="10022086", meddra_version="27.1", causality="probable",
                 action_taken="unchanged", injection_site="abdomen_left", diameter_mm=35,
                 symptoms=["erythema", "swelling"], reporter_qualification="physician")


@pytest.fixture
def world(site, other_site, product, reporter, reviewer, sender):
    patient = PatientFactory(site=site, patient_ref="P-1")
    unexposed = PatientFactory(site=site, patient_ref="P-2")
    exposure = ExposurePeriodFactory(patient=patient, product=product, start_date=date(2025, 1, 1))
    draft = ReactionFactory(patient=patient, product=product, reaction_ref="R-DRAFT", status="draft",
                            reporter=reporter, onset_date=date(2025, 2, 1), resolution_date=date(2025, 2, 5))
    submitted = ReactionFactory(patient=patient, product=product, reaction_ref="R-SUB", status="submitted",
                                **E2B_READY)
    # The reviewed case is of another patient: a locked case locks its patient and exposure data, which the
    # patient and exposure forms below edit.
    locked_patient = PatientFactory(site=site, patient_ref="P-3")
    ExposurePeriodFactory(patient=locked_patient, product=product, start_date=date(2025, 1, 1))
    reviewed = ReactionFactory(patient=locked_patient, product=product, reaction_ref="R-REV", status="reviewed",
                               **{**E2B_READY, "onset_date": date(2025, 3, 1), "resolution_date": date(2025, 3, 9)})
    other_patient = PatientFactory(site=other_site, patient_ref="P-OTHER")
    # A period no reaction needs: voiding the patient's only period under reactions is refused.
    spare_exposure = ExposurePeriodFactory(patient=PatientFactory(site=site, patient_ref="P-4"), product=product,
                                           start_date=date(2025, 1, 1))
    return {"spare_exposure": spare_exposure, "site": site, "other_site": other_site, "product": product,
            "patient": patient, "unexposed": unexposed, "exposure": exposure, "draft": draft, "submitted": submitted,
            "reviewed": reviewed,
            "other_patient": other_patient, "reporter": reporter, "reviewer": reviewer}


@dataclass
class FormCase:
    url: Callable  # world -> url
    valid: Callable  # world -> a payload the service accepts
    model: type[models.Model]  # what a success writes
    record: str | None = None  # world key of the record an update changes
    user: str = "reviewer"
    multi: tuple = ()  # fields that carry several values
    extra: Callable = lambda world: []  # values valid somewhere (ids of real records)
    check: Callable = lambda obj, world: None  # more about a saved record


def ids(world):
    return [str(world[key].pk) for key in ("site", "other_site", "product", "patient", "other_patient", "draft",
                                             "submitted", "reviewed")]


def reaction_payload(**overrides):
    payload = {"onset_date": "2025-02-10", "resolution_date": "2025-02-20", "severity": "mild", "ctcae_grade": "1",
               "symptoms": ["erythema"], "seriousness": [], "outcome": "recovered", "action_taken": "unchanged",
               "injection_site": "abdomen_left", "diameter_mm": "20", "reporter_qualification": "physician",
               "narrative": "", "meddra_llt_code": "", "meddra_version": "", "causality": ""}
    return payload | overrides


def patient_saved(obj, world):
    assert obj.site_id == world["site"].pk, "a reporter created a patient at another site"


CASES = {
    "patient create (reporter)": FormCase(
        url=lambda w: reverse("patients:create"), model=Patient, user="reporter", extra=ids, check=patient_saved,
        valid=lambda w: {"site": w["site"].pk, "patient_ref": "P-NEW", "sex": "female", "birth_year": "1970"}),
    "patient edit": FormCase(
        url=lambda w: reverse("patients:update", args=[w["patient"].pk]), model=Patient, record="patient",
        extra=ids, valid=lambda w: {"site": w["site"].pk, "patient_ref": "P-1", "sex": "male", "birth_year": "1980"}),
    "exposure create": FormCase(
        url=lambda w: reverse("exposures:create", args=[w["unexposed"].pk]), model=ExposurePeriod, extra=ids,
        valid=lambda w: {"product": w["product"].pk, "start_date": "2025-03-01", "end_date": "2025-04-01",
                         "dose_mg_per_day": "100", "route": "subcutaneous", "lot_number": "L1"}),
    "exposure edit": FormCase(
        url=lambda w: reverse("exposures:update", args=[w["exposure"].pk]), model=ExposurePeriod,
        record="exposure", extra=ids,
        valid=lambda w: {"product": w["product"].pk, "start_date": "2024-12-01", "end_date": "",
                         "dose_mg_per_day": "200", "route": "subcutaneous", "lot_number": "L2"}),
    "reaction create": FormCase(
        url=lambda w: reverse("reactions:create", args=[w["patient"].pk]), model=InjectionSiteReaction,
        multi=("symptoms", "seriousness"), extra=ids,
        valid=lambda w: reaction_payload(reaction_ref="R-NEW", product=w["product"].pk)),
    "reaction edit": FormCase(
        url=lambda w: reverse("reactions:update", args=[w["draft"].pk]), model=InjectionSiteReaction,
        record="draft", multi=("symptoms", "seriousness"), extra=ids,
        valid=lambda w: reaction_payload(version=w["draft"].version, severity="moderate", ctcae_grade="2")),
    "reaction review": FormCase(
        url=lambda w: reverse("reactions:review", args=[w["submitted"].pk]), model=InjectionSiteReaction,
        record="submitted", extra=ids,
        valid=lambda w: {"causality": "possible", "meddra_llt_code": "10022061", "meddra_version": "27.1",
                         **SIGN_REVIEW}),
    "patient void": FormCase(url=lambda w: reverse("patients:void", args=[w["patient"].pk]), model=Patient,
                             record="patient", valid=lambda w: {"reason": "entered twice", **SIGN_VOID}),
    "exposure void": FormCase(url=lambda w: reverse("exposures:void", args=[w["spare_exposure"].pk]),
                              model=ExposurePeriod, record="spare_exposure",
                              valid=lambda w: {"reason": "wrong dates", **SIGN_VOID}),
    "reaction void": FormCase(url=lambda w: reverse("reactions:void", args=[w["draft"].pk]),
                              model=InjectionSiteReaction, record="draft", valid=lambda w: {"reason": "duplicate", **SIGN_VOID}),
    "report run now": FormCase(
        url=lambda w: reverse("reports:run"), model=AggregateReport, extra=ids,
        valid=lambda w: {"product": w["product"].pk, "as_of": "2025-06-30", "site": "", "dose_mg_per_day": "",
                         "exposure_start_from": "", "exposure_start_to": "", "reference_profile": ""}),
    "e2b batch export": FormCase(
        url=lambda w: reverse("e2b:batch_export"), model=E2bExport, multi=("reaction",), extra=ids,
        valid=lambda w: {"reaction": [w["reviewed"].pk], **SIGN_EXPORT}),
}


@st.composite
def payloads(draw, case, world):
    """The valid payload with some fields replaced by junk, some dropped, and some unknown ones added."""
    payload = dict(case.valid(world))
    values = junk(*CHOICE_VALUES, *case.extra(world))
    for name in draw(st.lists(st.sampled_from(sorted(payload)), max_size=4, unique=True)):
        if draw(st.booleans()) and name not in case.multi:
            payload[name] = draw(values)
        elif name in case.multi:
            payload[name] = draw(st.lists(values, max_size=4))
        else:
            del payload[name]
    payload.update(draw(st.dictionaries(st.sampled_from(["status", "reporter", "version", "voided_at", "patient",
                                                         "confirm_duplicate", "id"]), values, max_size=2)))
    return payload


def state(record):
    return None if record is None else model_to_dict(type(record).objects.get(pk=record.pk))


@pytest.mark.parametrize("case_name", list(CASES))
def test_a_form_posted_with_arbitrary_values_saves_valid_data_or_nothing(case_name, client, world):
    case = CASES[case_name]
    client.force_login(world[case.user])
    url = case.url(world)
    record = world[case.record] if case.record else None
    outcomes = set()

    @EXAMPLES
    @given(payload=payloads(case, world))
    def post(payload):
        with transaction.atomic():
            before, record_before = row_counts(), state(record)
            response = client.post(url, payload)  # a view exception fails the test here
            assert response.status_code in (200, 302, 400), (response.status_code, payload)
            after = row_counts()
            saved = response.status_code == 302 or response.get("Content-Type", "").startswith("application/xml")
            outcomes.add(saved)
            if saved:
                changed = {label for label in after if after[label] != before[label]}
                allowed = {case.model._meta.label, getattr(case.model, "history", None) and
                           case.model.history.model._meta.label}
                assert changed <= allowed, (changed, payload)
                obj = (type(record).objects.get(pk=record.pk) if record is not None
                       else case.model.objects.order_by("-pk").first())
                if obj is not None:
                    obj.full_clean()
                    case.check(obj, world)
            else:
                assert after == before, payload
                assert state(record) == record_before, payload
            transaction.set_rollback(True)

    post()
    # Hypothesis always tries the unchanged (valid) payload; junk must be refused at least once.
    assert outcomes == {False, True}, f"saved/refused outcomes seen: {outcomes}"


@pytest.mark.parametrize("name, key", [("patients:void", "patient"), ("exposures:void", "spare_exposure"),
                                       ("reactions:void", "draft")])
def test_a_void_reason_of_the_longest_length_the_form_allows_is_saved(client, world, name, key):
    """The history keeps the whole reason (a text column: the old 100-character one was a database error)."""
    client.force_login(world["reviewer"])
    reason = "entered twice; " * 133 + "end"  # 1998 characters, the form allows 2000
    response = client.post(reverse(name, args=[world[key].pk]), {"reason": reason, **SIGN_VOID})
    assert response.status_code == 302
    record = type(world[key]).objects.get(pk=world[key].pk)
    assert record.void_reason == reason
    latest = record.history.first()
    assert latest.void_reason == reason and latest.history_change_reason.startswith(f"Voided: {reason}")
