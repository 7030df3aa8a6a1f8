"""Default schedule, editable in the admin (Periodic tasks): a monthly report per product on the
1st at 06:00, and the sweeper that re-queues stuck requests every minute."""
import json

from django.db import migrations
from django.utils import timezone

SWEEPER_NAME = "Aggregate reports: re-queue stuck requests"


def monthly_name(code):
    return f"Aggregate report: {code} (monthly)"


def create_schedule(apps, schema_editor):
    Product = apps.get_model("products", "Product")
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTasks = apps.get_model("django_celery_beat", "PeriodicTasks")
    monthly, _ = CrontabSchedule.objects.get_or_create(
        minute="0", hour="6", day_of_month="1", month_of_year="*", day_of_week="*", timezone="UTC")
    for code in Product.objects.values_list("code", flat=True):
        PeriodicTask.objects.get_or_create(
            name=monthly_name(code),
            defaults=dict(task="reports.request_scheduled_reports", crontab=monthly,
                          kwargs=json.dumps({"product_codes": [code]}),
                          description="Monthly ISR profile of the product against its current reference profile, "
                                      "as of the end of the previous month."))
    every_minute, _ = IntervalSchedule.objects.get_or_create(every=60, period="seconds")
    PeriodicTask.objects.get_or_create(
        name=SWEEPER_NAME,
        defaults=dict(task="reports.requeue_stuck_reports", interval=every_minute,
                      description="Re-sends report requests left queued (e.g. during a broker outage) "
                                  "or abandoned by a dead worker."))
    # Tell a running beat that the schedule changed.
    PeriodicTasks.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})


def remove_schedule(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(task__in=["reports.request_scheduled_reports", "reports.requeue_stuck_reports"]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0001_initial"),
        ("products", "0002_seed_anakinra"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]
    operations = [migrations.RunPython(create_schedule, remove_schedule)]
