from django.core.exceptions import PermissionDenied
from django.db import transaction

from apps.accounts.roles import can_enter_data
from apps.core.services import check_not_voided, check_site_access, record_void, validated_save

from .models import Patient


def _check_can_write(actor, site_id):
    if actor is not None and not can_enter_data(actor):
        raise PermissionDenied("Your role cannot enter or change patient data.")
    check_site_access(actor, site_id)


@transaction.atomic
def patient_create(*, site, patient_ref, sex, birth_year=None, actor=None) -> Patient:
    _check_can_write(actor, site.pk)
    patient = Patient(site=site, patient_ref=patient_ref.strip(), sex=sex, birth_year=birth_year)
    return validated_save(patient, actor=actor)


@transaction.atomic
def patient_update(*, patient: Patient, actor=None, **fields) -> Patient:
    _check_can_write(actor, patient.site_id)
    check_not_voided(patient)
    for name, value in fields.items():
        setattr(patient, name, value)
    _check_can_write(actor, patient.site_id)  # a site-bound user cannot move a patient to another site
    return validated_save(patient, actor=actor)


@transaction.atomic
def patient_void(*, patient: Patient, actor, reason) -> Patient:
    _check_can_write(actor, patient.site_id)
    return record_void(patient, actor=actor, reason=reason)
