from django.core.exceptions import ValidationError
from django.db import transaction

from apps.core.services import check_version, note_on_locked_cases, record_void, validated_save
from apps.patients.models import Patient

from . import policies
from .models import ExposurePeriod

def _locked_by_placement(actor, patient, product_id, start_date, action):
    """Locked cases a period starting here would be reported by; reporters are refused, reviewers need a reason."""
    refs = policies.locked_cases(patient=patient, product_id=product_id, start_date=start_date)
    policies.locked_refusal(actor, refs, action).require()
    return refs


def _note(patient, product_id, start_date, *, actor, note):
    """Record the change on every locked case that reports a period of the product starting then."""
    cases = patient.reactions.locked().reporting_exposure(patient_id=patient.pk, product_id=product_id,
                                                          start_date=start_date)
    note_on_locked_cases(cases, actor=actor, note=note)


@transaction.atomic
def exposure_create(*, patient, product, start_date, dose_mg_per_day, end_date=None, route=None,
                    lot_number="", actor=None, reason="") -> ExposurePeriod:
    policies.may_add(actor, patient).require()
    locked = _locked_by_placement(actor, patient, product.pk, start_date, "add a period reported by")
    if locked and not reason.strip():
        raise ValidationError({"reason": "Reviewed cases would report this period: give the reason for adding it."})
    period = ExposurePeriod(patient=patient, product=product, start_date=start_date, end_date=end_date,
                            dose_mg_per_day=dose_mg_per_day, route=route or product.route,
                            lot_number=(lot_number or "").strip())
    validated_save(period, actor=actor, change_reason=reason.strip() or None)
    if locked:
        _note(patient, product.pk, start_date, actor=actor,
              note=f"Exposure period from {start_date} added: {reason.strip()}")
    return period


def _lock_patient(patient_id):
    """Serialise the writes that check a patient's periods against their reactions (a no-op on SQLite,
    whose IMMEDIATE transactions already serialise writers)."""
    list(Patient.objects.select_for_update().filter(pk=patient_id).values_list("pk", flat=True))


def _lock_patient(patient_id):
    """Serialise the writes that check a patient's periods against their reactions (a no-op on SQLite,
    whose IMMEDIATE transactions already serialise writers)."""
    list(Patient.objects.select_for_update().filter(pk=patient_id).values_list("pk", flat=True))


@transaction.atomic
def exposure_update(*, period: ExposurePeriod, actor=None, expected_version=None, reason="",
                    **fields) -> ExposurePeriod:
    """Edit a period; a change that would leave a live reaction before the patient's first live exposure
    is refused (the model's clean() names the reactions)."""
    _lock_patient(period.patient_id)
    period = ExposurePeriod.objects.select_for_update().select_related("patient__site").get(pk=period.pk)
    check_version(period, expected_version, "exposure period")
    policies.may_edit(actor, period).require()
    before = (period.product_id, period.start_date)
    changed = [name for name, value in fields.items() if getattr(period, name) != value]
    for name, value in fields.items():
        setattr(period, name, value)
    locked = []
    if changed and period.start_date:
        locked = policies.locked_cases(patient=period.patient, product_id=before[0], start_date=before[1])
        locked += _locked_by_placement(actor, period.patient, period.product_id, period.start_date, "move")
    if locked and not reason.strip():
        raise ValidationError({"reason": "Reviewed cases report this period: give the reason for the change."})
    period.version += 1
    validated_save(period, actor=actor, change_reason=reason.strip() or None)
    if locked:
        note = f"Exposure period from {before[1]} changed ({', '.join(changed)}): {reason.strip()}"
        _note(period.patient, before[0], before[1], actor=actor, note=note)
        if period.product_id != before[0] or period.start_date < before[1]:
            _note(period.patient, period.product_id, period.start_date, actor=actor, note=note)
    return period


@transaction.atomic
def exposure_void(*, period: ExposurePeriod, actor, reason, signature=None) -> ExposurePeriod:
    """Void a period, unless that leaves a live reaction before the patient's first remaining exposure
    (or without any): the user first voids or corrects those reactions."""
    _lock_patient(period.patient_id)
    period = ExposurePeriod.objects.select_for_update().select_related("patient__site").get(pk=period.pk)
    policies.may_void(actor, period).require()
    remaining = list(period.siblings())
    uncovered = period.reactions_left_uncovered(product_id=period.product_id, remaining=remaining)
    if uncovered:
        raise period.uncovered_reactions_error(uncovered, remaining, "Voiding this period")
    locked = policies.locked_cases_of(period)
    record_void(period, actor=actor, reason=reason, signature=signature)
    if locked:
        _note(period.patient, period.product_id, period.start_date, actor=actor,
              note=f"Exposure period from {period.start_date} voided: {reason.strip()}")
    return period
