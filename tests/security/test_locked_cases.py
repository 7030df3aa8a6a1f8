"""Locked means locked: once a case is reviewed, what it reports (the patient's sex and birth year, the
exposure periods begun by its onset) cannot be changed or hidden by reporters, through the web, the admin
or the importer; a reviewer's change needs a reason and is recorded on the case."""
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from apps.e2b.services import ExportRefused, e2b_export
from apps.exposures.services import exposure_create, exposure_update
from apps.imports.services import pv_csv_import
from apps.patients.services import patient_void
from apps.reactions.services import reaction_submit, reaction_update
from tests.factories import ExposurePeriodFactory, PatientFactory, ReactionFactory, signed
from tests.imports.helpers import write_csv

pytestmark = pytest.mark.django_db

E2B_READY = dict(resolution_date=date(2025, 3, 9), outcome="recovered", seriousness=[], meddra_llt_code="10022086",
                 meddra_version="27.1", causality="probable", symptoms=["erythema"])


@pytest.fixture
def case(site, product, reporter, sender):
    """A reviewed case of P-LOCK (onset 2025-03-01) reporting the period that began 2025-01-01."""
    patient = PatientFactory(site=site, patient_ref="P-LOCK", sex="female", birth_year=1960)
    period = ExposurePeriodFactory(patient=patient, product=product, start_date=date(2025, 1, 1),
                                   end_date=date(2025, 2, 28), dose_mg_per_day=Decimal("100"), lot_number="L-1")
    reaction = ReactionFactory(patient=patient, product=product, reaction_ref="R-LOCK", status="reviewed",
                               onset_date=date(2025, 3, 1), reporter=reporter, **E2B_READY)
    return reaction


def period_form(period, **changes):
    data = {"product": period.product_id, "start_date": period.start_date.isoformat(),
            "end_date": period.end_date.isoformat() if period.end_date else "",
            "dose_mg_per_day": str(period.dose_mg_per_day), "route": period.route, "lot_number": period.lot_number}
    return {**data, **changes}


def test_a_reporter_cannot_change_the_exposure_a_locked_case_reports(client, reporter, case):
    period = case.patient.exposure_periods.get()
    client.force_login(reporter)
    response = client.post(reverse("exposures:update", args=[period.pk]),
                           period_form(period, dose_mg_per_day="200", lot_number="NEW"))
    assert response.status_code == 403 and b"R-LOCK" in response.content
    assert client.post(reverse("exposures:void", args=[period.pk]), {"reason": "x"}).status_code == 403
    period.refresh_from_db()
    assert (period.dose_mg_per_day, period.lot_number, period.is_voided) == (Decimal("100"), "L-1", False)
    with pytest.raises(PermissionDenied):
        exposure_update(period=period, actor=reporter, dose_mg_per_day=Decimal("200"))


def test_a_reporter_cannot_add_a_period_that_a_locked_case_would_report(reporter, case, product):
    with pytest.raises(PermissionDenied, match="R-LOCK"):
        exposure_create(patient=case.patient, product=product, start_date=date(2024, 6, 1),
                        end_date=date(2024, 12, 1), dose_mg_per_day=Decimal("100"), actor=reporter)
    # After the onset is fine: the case does not report it.
    exposure_create(patient=case.patient, product=product, start_date=date(2025, 4, 1),
                    dose_mg_per_day=Decimal("100"), actor=reporter)


def test_a_reporter_cannot_change_or_void_the_patient_of_a_locked_case(client, reporter, case):
    patient = case.patient
    client.force_login(reporter)
    response = client.post(reverse("patients:update", args=[patient.pk]),
                           {"site": patient.site_id, "patient_ref": "P-LOCK", "sex": "male", "birth_year": "1970"})
    assert response.status_code == 403 and b"R-LOCK" in response.content
    assert client.post(reverse("patients:void", args=[patient.pk]), {"reason": "hide"}).status_code == 403
    patient.refresh_from_db()
    assert (patient.sex, patient.birth_year, patient.is_voided) == ("female", 1960, False)
    # The reviewer's listing still has the case.
    with pytest.raises(PermissionDenied):
        patient_void(patient=patient, actor=reporter, reason="hide")


def test_a_reviewers_change_of_linked_data_needs_a_reason_recorded_on_the_case(client, reviewer, case):
    period = case.patient.exposure_periods.get()
    client.force_login(reviewer)
    url = reverse("exposures:update", args=[period.pk])
    response = client.post(url, period_form(period, dose_mg_per_day="150"))
    assert response.status_code == 200 and b"give the reason" in response.content
    period.refresh_from_db()
    assert period.dose_mg_per_day == Decimal("100")
    response = client.post(url, period_form(period, dose_mg_per_day="150", reason="Source document says 150 mg"))
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.version == 2
    latest = case.history.first()
    assert "dose_mg_per_day" in latest.history_change_reason and "Source document says 150 mg" in \
        latest.history_change_reason and latest.history_user == reviewer


def test_voiding_the_patient_of_a_locked_case_is_a_reviewers_act_that_nullifies_its_cases(reviewer, case):
    patient_void(patient=case.patient, actor=reviewer, reason="Enrolled in error")
    case.refresh_from_db()
    assert case.is_voided and "Enrolled in error" in case.void_reason
    with pytest.raises(ExportRefused):
        e2b_export(reactions=[case], actor=reviewer, signature=signed(reviewer, "e2b_export"))


def test_nothing_of_a_voided_patient_can_be_edited_submitted_reviewed_or_exported(client, reporter, reviewer,
                                                                                   site, product, sender):
    patient = PatientFactory(site=site)
    ExposurePeriodFactory(patient=patient, product=product, start_date=date(2025, 1, 1))
    draft = ReactionFactory(patient=patient, product=product, status="draft", onset_date=date(2025, 3, 1),
                            reporter=reporter, **E2B_READY)
    submitted = ReactionFactory(patient=patient, product=product, status="submitted", onset_date=date(2025, 3, 2),
                                reporter=reporter, **E2B_READY)
    patient_void(patient=patient, actor=reporter, reason="Duplicate patient")
    period = patient.exposure_periods.get()
    client.force_login(reporter)
    assert client.get(reverse("reactions:update", args=[draft.pk])).status_code == 403
    assert client.post(reverse("reactions:submit", args=[draft.pk])).status_code == 403
    assert client.get(reverse("exposures:update", args=[period.pk])).status_code == 403
    with pytest.raises(PermissionDenied):
        reaction_update(reaction=draft, actor=reporter, narrative="changed")
    with pytest.raises(PermissionDenied):
        reaction_submit(reaction=draft, actor=reporter)
    client.force_login(reviewer)
    assert client.get(reverse("reactions:review", args=[submitted.pk])).status_code == 403
    assert client.get(reverse("e2b:reaction_export", args=[submitted.pk])).status_code == 403
    with pytest.raises(ExportRefused, match="patient is voided"):
        e2b_export(reactions=[submitted], actor=reviewer, signature=signed(reviewer, "e2b_export"))


def test_the_admin_shows_locked_records_read_only_and_never_reverts(client, admin_user, case):
    client.force_login(admin_user)
    url = reverse("admin:reactions_injectionsitereaction_change", args=[case.pk])
    page = client.get(url)
    assert page.status_code == 200 and b'name="narrative"' not in page.content  # shown, not editable
    assert client.post(url, {"narrative": "changed", "status": "draft"}).status_code == 403
    period = case.patient.exposure_periods.get()
    assert client.post(reverse("admin:exposures_exposureperiod_change", args=[period.pk]),
                       {"dose_mg_per_day": "200"}).status_code == 403
    assert client.post(reverse("admin:patients_patient_change", args=[case.patient_id]),
                       {"sex": "male"}).status_code == 403
    version = case.history.last()
    revert = reverse("admin:reactions_injectionsitereaction_simple_history", args=[case.pk, version.history_id])
    assert client.post(revert, {}).status_code == 403
    case.refresh_from_db()
    assert (case.status, case.version) == ("reviewed", 1)


def test_reference_profiles_and_login_logs_cannot_be_deleted_in_the_admin(client, admin_user, product):
    from axes.models import AccessLog

    profile = product.reference_profiles.first()
    log = AccessLog.objects.create(username="someone", ip_address="10.0.0.1", user_agent="x", path_info="/")
    client.force_login(admin_user)
    for url in (reverse("admin:products_referenceprofile_delete", args=[profile.pk]),
                reverse("admin:axes_accesslog_delete", args=[log.pk])):
        assert client.post(url, {"post": "yes"}).status_code == 403, url
    assert AccessLog.objects.filter(pk=log.pk).exists() and type(profile).objects.filter(pk=profile.pk).exists()


def test_the_importer_cannot_change_what_a_locked_case_reports(tmp_path, case):
    patients = write_csv(tmp_path, "patients", "P-LOCK,site-01,male,1970")
    result = pv_csv_import(patients=patients)
    assert not result.written and "R-LOCK" in str(result.errors[0])
    exposures = write_csv(tmp_path, "exposures", "P-LOCK,anakinra,2025-01-01,2025-02-28,200,subcutaneous,NEW")
    result = pv_csv_import(exposures=exposures)
    assert not result.written and "R-LOCK" in str(result.errors[0]) and "start_date" in str(result.errors[0])
    earlier = write_csv(tmp_path, "exposures", "P-LOCK,anakinra,2024-06-01,2024-12-01,100,subcutaneous,OLD",
                        name="earlier.csv")
    assert not pv_csv_import(exposures=earlier).written
    period = case.patient.exposure_periods.get()
    assert (period.dose_mg_per_day, period.lot_number) == (Decimal("100"), "L-1")
    case.patient.refresh_from_db()
    assert case.patient.sex == "female"


def test_the_e2b_message_of_a_locked_case_keeps_the_reported_dose(reporter, reviewer, case, client):
    period = case.patient.exposure_periods.get()
    client.force_login(reporter)
    client.post(reverse("exposures:update", args=[period.pk]), period_form(period, dose_mg_per_day="200"))
    period.refresh_from_db()
    assert period.dose_mg_per_day == Decimal("100")
    assert e2b_export(reactions=[case], actor=reviewer, signature=signed(reviewer, "e2b_export")).exports[0].message_xml.count('value="100"') >= 1
