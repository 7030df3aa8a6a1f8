from django.core.exceptions import PermissionDenied
from django.db import transaction

from apps.accounts.roles import can_enter_data
from apps.core.services import check_not_voided, check_site_access, record_void, validated_save

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


@transaction.atomic
def exposure_update(*, period: ExposurePeriod, actor=None, **fields) -> ExposurePeriod:
    _check_can_write(actor, period.patient)
    check_not_voided(period)
    for name, value in fields.items():
        setattr(period, name, value)
    return validated_save(period, actor=actor)


@transaction.atomic
def exposure_void(*, period: ExposurePeriod, actor, reason) -> ExposurePeriod:
    _check_can_write(actor, period.patient)
    return record_void(period, actor=actor, reason=reason)
