"""Day numbers in SQL agree with Python across month, year and leap-day boundaries on this backend."""
from datetime import date

import pytest
from django.db.models import F, Value

from apps.cohort.sql import DayNumber, day_number
from tests.factories import ExposurePeriodFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("start, end", [
    (date(2024, 2, 28), date(2024, 3, 1)),   # leap day in between: 3 days inclusive
    (date(2025, 12, 31), date(2026, 1, 1)),  # year boundary
    (date(1970, 1, 1), date(1970, 1, 1)),    # the epoch itself
    (date(2000, 2, 29), date(2030, 7, 15)),  # long span
])
def test_day_numbers_subtract_like_python_dates(product, start, end):
    period = ExposurePeriodFactory(start_date=start, end_date=end)
    row = (type(period).objects.filter(pk=period.pk)
           .annotate(start=DayNumber("start_date"), days=DayNumber("end_date") - DayNumber(F("start_date")) + 1,
                     constant=DayNumber(Value(end)))
           .values("start", "days", "constant").get())
    assert row == {"start": day_number(start), "days": (end - start).days + 1, "constant": day_number(end)}
