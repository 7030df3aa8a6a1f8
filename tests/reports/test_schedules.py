"""The monthly schedule on the reports page: in words, next run, last run; admins change it there."""
from datetime import datetime, timezone as dt_timezone

import pytest
from django.urls import reverse
from django.utils import translation
from django_celery_beat.models import PeriodicTask, PeriodicTasks
from hypothesis import HealthCheck, given, settings, strategies as st

from apps.reports.schedules import SCHEDULED_TASK, next_run_of, product_schedules

pytestmark = pytest.mark.django_db


def monthly_task():
    return PeriodicTask.objects.get(task=SCHEDULED_TASK, kwargs__contains="anakinra")


def test_the_seeded_schedule_reads_in_words_with_its_next_run(product):
    row = next(r for r in product_schedules() if r.product == product)
    assert row.in_words == "At 06:00, on day 1 of the month (UTC)"
    with translation.override("it"):
        assert product_schedules()[0].in_words == "Alle 06:00, il giorno 1 del mese (UTC)"
    now = datetime(2026, 12, 1, 17, 0, tzinfo=dt_timezone.utc)
    assert next_run_of(row.task, now) == datetime(2027, 1, 1, 6, 0, tzinfo=dt_timezone.utc)
    assert row.last_report is None


def test_the_reports_page_shows_schedules_and_only_admins_get_the_change_link(client, analyst, admin_user, product):
    client.force_login(analyst)
    page = client.get(reverse("reports:list")).content.decode()
    assert "At 06:00, on day 1 of the month (UTC)" in page and 'id="schedules"' in page
    change = reverse("reports:schedule", args=["anakinra"])
    assert change not in page
    client.force_login(admin_user)
    assert change in client.get(reverse("reports:list")).content.decode()


def test_an_admin_reschedules_and_beat_is_told(client, admin_user, product):
    before = PeriodicTasks.last_change()
    client.force_login(admin_user)
    response = client.post(reverse("reports:schedule", args=["anakinra"]),
                           {"day_of_month": "3", "hour": "7", "minute": "30", "enabled": "on"})
    assert response.status_code == 302
    task = monthly_task()
    assert (task.crontab.day_of_month, task.crontab.hour, task.crontab.minute, task.enabled) == ("3", "7", "30", True)
    assert PeriodicTasks.last_change() != before
    assert "At 07:30, on day 3 of the month" in client.get(reverse("reports:list")).content.decode()


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(day=st.text(max_size=5), hour=st.text(max_size=5), minute=st.one_of(st.integers(-5, 70).map(str),
                                                                            st.text(max_size=3)))
def test_bad_schedule_input_is_a_form_error_and_changes_nothing(client, admin_user, product, day, hour, minute):
    client.force_login(admin_user)
    before = monthly_task().crontab_id
    response = client.post(reverse("reports:schedule", args=["anakinra"]),
                           {"day_of_month": day, "hour": hour, "minute": minute})
    assert response.status_code in (302, 400)
    if response.status_code == 400:
        assert monthly_task().crontab_id == before
