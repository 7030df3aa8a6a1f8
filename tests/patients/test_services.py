import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from apps.patients.models import Patient
from apps.patients.services import patient_create, patient_update, patient_void

pytestmark = pytest.mark.django_db


def test_it_creates_a_patient_and_records_who_did_it(site, reporter):
    patient = patient_create(site=site, patient_ref=" P-9 ", sex="male", birth_year=1970, actor=reporter)
    assert patient.patient_ref == "P-9"
    assert patient.history.first().history_user == reporter


def test_it_rejects_a_second_patient_with_the_same_reference_at_the_site(patient, reporter):
    with pytest.raises(ValidationError) as excinfo:
        patient_create(site=patient.site, patient_ref="P-001", sex="male", actor=reporter)
    assert "already exists" in str(excinfo.value)


def test_it_rejects_an_impossible_birth_year(site, reporter):
    with pytest.raises(ValidationError) as excinfo:
        patient_create(site=site, patient_ref="P-2", sex="male", birth_year=1800, actor=reporter)
    assert "birth_year" in excinfo.value.error_dict


def test_it_refuses_a_reporter_creating_a_patient_at_another_site(other_site, reporter):
    with pytest.raises(PermissionDenied):
        patient_create(site=other_site, patient_ref="P-2", sex="male", actor=reporter)


def test_it_refuses_to_move_a_patient_to_another_site(patient, other_site, reporter):
    with pytest.raises(PermissionDenied):
        patient_update(patient=patient, site=other_site, actor=reporter)


def test_it_refuses_an_analyst_entering_data(site, analyst):
    with pytest.raises(PermissionDenied):
        patient_create(site=site, patient_ref="P-2", sex="male", actor=analyst)


def test_void_needs_a_reason(patient, reporter):
    with pytest.raises(ValidationError) as excinfo:
        patient_void(patient=patient, actor=reporter, reason="  ")
    assert "void_reason" in excinfo.value.error_dict
    assert Patient.objects.get(pk=patient.pk).voided_at is None


def test_void_keeps_the_record_with_its_reason(patient, reporter):
    patient_void(patient=patient, actor=reporter, reason="Entered twice")
    patient.refresh_from_db()
    assert patient.is_voided and patient.void_reason == "Entered twice" and patient.voided_by == reporter
    with pytest.raises(PermissionDenied, match="voided"):
        patient_void(patient=patient, actor=reporter, reason="again")


def test_a_voided_patient_cannot_be_edited(patient, reporter):
    patient_void(patient=patient, actor=reporter, reason="Duplicate registration")
    with pytest.raises(PermissionDenied, match="voided"):
        patient_update(patient=patient, actor=reporter, birth_year=1970)
    assert Patient.objects.get(pk=patient.pk).birth_year == 1960
