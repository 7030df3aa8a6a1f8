from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from apps.exposures.services import exposure_create, exposure_update, exposure_void
from tests.factories import ExposurePeriodFactory

pytestmark = pytest.mark.django_db


def create(patient, product, actor=None, **overrides):
    data = dict(start_date=date(2025, 3, 1), end_date=None, dose_mg_per_day=Decimal("100"))
    data.update(overrides)
    return exposure_create(patient=patient, product=product, actor=actor, **data)


def codes(excinfo, field):
    return [error.code for error in excinfo.value.error_dict[field]]


def test_it_creates_a_period_with_the_products_route(patient, product, reporter):
    period = create(patient, product, reporter)
    assert period.route == product.route
    assert period.is_ongoing


def test_it_rejects_an_end_before_the_start(patient, product):
    with pytest.raises(ValidationError) as excinfo:
        create(patient, product, start_date=date(2025, 3, 1), end_date=date(2025, 2, 1))
    assert codes(excinfo, "end_date") == ["end_before_start"]


def test_it_rejects_a_period_overlapping_an_ongoing_one(exposure, product):
    with pytest.raises(ValidationError) as excinfo:
        create(exposure.patient, product, start_date=date(2025, 6, 1), end_date=date(2025, 6, 30))
    assert codes(excinfo, "start_date") == ["overlapping_exposure"]
    assert "ongoing" in excinfo.value.error_dict["start_date"][0].message % excinfo.value.error_dict["start_date"][0].params


def test_it_rejects_an_ongoing_period_overlapping_a_closed_one(patient, product):
    ExposurePeriodFactory(patient=patient, product=product, start_date=date(2025, 1, 1), end_date=date(2025, 1, 31))
    with pytest.raises(ValidationError) as excinfo:
        create(patient, product, start_date=date(2024, 12, 1))
    assert codes(excinfo, "start_date") == ["overlapping_exposure"]


def test_a_dose_change_is_recorded_as_a_new_period(exposure, product, reporter):
    exposure_update(period=exposure, end_date=date(2025, 2, 28), actor=reporter)
    second = create(exposure.patient, product, reporter, start_date=date(2025, 3, 1), dose_mg_per_day=Decimal("200"))
    assert second.dose_mg_per_day == Decimal("200")
    assert exposure.patient.exposure_periods.count() == 2


def test_a_voided_period_no_longer_blocks_an_overlap(exposure, product, reporter):
    exposure_void(period=exposure, actor=reporter, reason="Wrong patient")
    assert create(exposure.patient, product, reporter, start_date=date(2025, 1, 1)).pk


def test_void_needs_a_reason(exposure, reporter):
    with pytest.raises(ValidationError) as excinfo:
        exposure_void(period=exposure, actor=reporter, reason="")
    assert "void_reason" in excinfo.value.error_dict


def test_it_rejects_a_future_start(patient, product):
    with pytest.raises(ValidationError) as excinfo:
        create(patient, product, start_date=date(2100, 1, 1))
    assert codes(excinfo, "start_date") == ["future_date"]


def test_it_refuses_another_sites_reporter(exposure, other_reporter, product):
    with pytest.raises(PermissionDenied):
        exposure_update(period=exposure, end_date=date(2025, 2, 1), actor=other_reporter)


def test_it_refuses_an_analyst(patient, product, analyst):
    with pytest.raises(PermissionDenied):
        create(patient, product, analyst)


def test_a_voided_period_cannot_be_edited(exposure, reporter):
    exposure_void(period=exposure, actor=reporter, reason="Wrong product")
    with pytest.raises(PermissionDenied, match="voided"):
        exposure_update(period=exposure, actor=reporter, lot_number="LOT-9")
    exposure.refresh_from_db()
    assert exposure.lot_number == "LOT-1"
