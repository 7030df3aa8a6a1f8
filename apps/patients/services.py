from django.core.exceptions import ValidationError
from django.db import transaction

from apps.core.services import check_version, note_on_locked_cases, record_void, validated_save

from . import policies
from .models import Patient

@transaction.atomic
def patient_create(*, site, patient_ref, sex, birth_year=None, actor=None) -> Patient:
    policies.may_create(actor, site.pk).require()
    patient = Patient(site=site, patient_ref=patient_ref.strip(), sex=sex, birth_year=birth_year)
    return validated_save(patient, actor=actor)


@transaction.atomic
def patient_update(*, patient: Patient, actor=None, expected_version=None, reason="", **fields) -> Patient:
    """Edit a patient; when reviewed cases report it, only a reviewer may, and the reason goes on those cases."""
    patient = Patient.objects.select_for_update().select_related("site").get(pk=patient.pk)
    check_version(patient, expected_version, "patient")
    policies.may_edit(actor, patient).require()
    changed = [name for name, value in fields.items() if getattr(patient, name) != value]
    for name, value in fields.items():
        setattr(patient, name, value)
    policies.may_create(actor, patient.site_id).require()  # a site-bound user cannot move a patient to another site
    locked = policies.locked_cases(patient) if changed else []
    if locked and not reason.strip():
        raise ValidationError({"reason": "Reviewed cases report this patient: give the reason for the change."})
    patient.version += 1
    validated_save(patient, actor=actor, change_reason=reason.strip() or None)
    if locked:
        note_on_locked_cases(patient.reactions.locked(), actor=actor,
                             note=f"Patient {patient.patient_ref} changed ({', '.join(changed)}): {reason.strip()}")
    return patient


@transaction.atomic
def patient_void(*, patient: Patient, actor, reason, signature=None) -> Patient:
    """Void a patient. Its reviewed cases are nullified (voided too) so that none stays exportable."""
    patient = Patient.objects.select_for_update().select_related("site").get(pk=patient.pk)
    policies.may_void(actor, patient).require()
    record_void(patient, actor=actor, reason=reason, signature=signature)
    for case in patient.reactions.locked():
        record_void(case, actor=actor, reason=f"Nullified: patient {patient.patient_ref} voided: {reason.strip()}")
    return patient
