from django.core.exceptions import PermissionDenied
from django.db import transaction

from apps.accounts.roles import can_enter_data
from apps.core.services import check_not_voided, check_site_access, record_void, validated_save
from apps.patients.models import Patient

from .models import ExposurePeriod


def _check_can_write(actor, patient):
    if actor is not None and not can_enter_data(actor):
        raise PermissionDenied("Your role cannot enter or change exposure data.")
    check_site_access(actor, patient.site_id)


@transaction.atomic
def exposure_create(*, patient, product, start_date, dose_mg_per_day, end_date=None, route=None,
                    lot_number="", actor=None) -> ExposurePeriod:
    _check_can_write(actor, patient)
    period = ExposurePeriod(patient=patient, product=product, start_date=start_date, end_date=end_date,
                            dose_mg_per_day=dose_mg_per_day, route=route or product.route,
                            lot_number=(lot_number or "").strip())
    return validated_save(period, actor=actor)


def _lock_patient(patient_id):
    """Serialise the writes that check a patient's periods against their reactions (a no-op on SQLite,
    whose IMMEDIATE transactions already serialise writers)."""
    list(Patient.objects.select_for_update().filter(pk=patient_id).values_list("pk", flat=True))


@transaction.atomic
def exposure_update(*, period: ExposurePeriod, actor=None, **fields) -> ExposurePeriod:
    """Edit a period; a change that would leave a live reaction before the patient's first live exposure
    is refused (the model's clean() names the reactions)."""
    _check_can_write(actor, period.patient)
    check_not_voided(period)
    _lock_patient(period.patient_id)
    for name, value in fields.items():
        setattr(period, name, value)
    return validated_save(period, actor=actor)


@transaction.atomic
def exposure_void(*, period: ExposurePeriod, actor, reason) -> ExposurePeriod:
    """Void a period, unless that leaves a live reaction before the patient's first remaining exposure
    (or without any): the user first voids or corrects those reactions."""
    _check_can_write(actor, period.patient)
    _lock_patient(period.patient_id)
    if not period.is_voided:
        remaining = list(period.siblings())
        uncovered = period.reactions_left_uncovered(product_id=period.product_id, remaining=remaining)
        if uncovered:
            raise period.uncovered_reactions_error(uncovered, remaining, "Voiding this period")
    return record_void(period, actor=actor, reason=reason)
