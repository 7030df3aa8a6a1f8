"""The monthly report schedule of each product: read in words for the reports page, changed by admins.

The schedule is django-celery-beat's PeriodicTask (seeded by migration 0002); saving it through
the model tells a running beat to reload.
"""
import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from cron_descriptor import ExpressionDescriptor, Options
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django_celery_beat.models import CrontabSchedule, PeriodicTask

from apps.core.roles import Role, role_names
from apps.products.models import Product

from .models import AggregateReport, ReportStatus

SCHEDULED_TASK = "reports.request_scheduled_reports"


@dataclass
class ProductSchedule:
    product: Product
    task: PeriodicTask | None
    in_words: str
    next_run: datetime | None
    last_report: AggregateReport | None


def _task_for(product, tasks):
    for task in tasks:
        try:
            codes = json.loads(task.kwargs or "{}").get("product_codes") or []
        except (ValueError, AttributeError):
            continue
        if product.code in codes:
            return task
    return None


def crontab_in_words(crontab):
    """The schedule as a sentence in the active language (cron-descriptor), with its time zone."""
    options = Options()
    options.locale_code = "it_IT" if (get_language() or "").startswith("it") else "en_US"
    options.use_24hour_time_format = True
    expression = f"{crontab.minute} {crontab.hour} {crontab.day_of_month} {crontab.month_of_year} {crontab.day_of_week}"
    return f"{ExpressionDescriptor(expression, options).get_description()} ({crontab.timezone})"


def next_run_of(task, now=None):
    """When beat will next send the task (None when disabled or not a crontab)."""
    if task is None or not task.enabled or task.crontab is None:
        return None
    now = now or timezone.now()
    schedule = task.crontab.schedule
    schedule.nowfun = lambda: now
    due = now + schedule.remaining_estimate(max(task.last_run_at or now, now))
    return due.replace(second=0, microsecond=0) + (timedelta(minutes=1) if due.second or due.microsecond else
                                                     timedelta(0))


def product_schedules(now=None) -> list[ProductSchedule]:
    tasks = list(PeriodicTask.objects.filter(task=SCHEDULED_TASK).select_related("crontab"))
    rows = []
    for product in Product.objects.order_by("code"):
        task = _task_for(product, tasks)
        if task is None:
            words = _("Not scheduled")
        elif task.crontab is None:
            words = _("Not a monthly (crontab) schedule: see the admin")
        else:
            words = crontab_in_words(task.crontab) + ("" if task.enabled else " " + _("(paused)"))
        last = (AggregateReport.objects.filter(product=product, scheduled=True)
                .exclude(status=ReportStatus.DUPLICATE).order_by("-requested_at", "-pk").first())
        rows.append(ProductSchedule(product=product, task=task, in_words=words, next_run=next_run_of(task, now),
                                    last_report=last))
    return rows


def can_change_schedules(user):
    return Role.ADMIN in role_names(user)


@transaction.atomic
def report_schedule_update(*, product, actor, day_of_month, hour, minute, enabled) -> PeriodicTask:
    """Set the product's monthly report to `day_of_month` at `hour:minute` (the server's time zone)."""
    if actor is not None and not can_change_schedules(actor):
        raise PermissionDenied("Only administrators change report schedules.")
    errors = {}
    for name, value, low, high in (("day_of_month", day_of_month, 1, 28), ("hour", hour, 0, 23),
                                   ("minute", minute, 0, 59)):
        if not isinstance(value, int) or not low <= value <= high:
            errors[name] = f"Give a whole number from {low} to {high}."
    if errors:
        raise ValidationError(errors)
    crontab, _ = CrontabSchedule.objects.get_or_create(
        minute=str(minute), hour=str(hour), day_of_month=str(day_of_month), month_of_year="*", day_of_week="*",
        timezone=timezone.get_default_timezone_name())
    task = _task_for(product, PeriodicTask.objects.select_for_update().filter(task=SCHEDULED_TASK))
    if task is None:
        task = PeriodicTask(name=f"Aggregate report: {product.code} (monthly)", task=SCHEDULED_TASK,
                            kwargs=json.dumps({"product_codes": [product.code]}))
    task.crontab, task.interval, task.enabled = crontab, None, enabled
    task.full_clean()
    task.save()  # django-celery-beat's save() marks the schedule changed, so beat reloads it
    return task
