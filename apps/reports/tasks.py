"""Celery tasks of the reports: they take ids/parameters and are idempotent."""
from celery import shared_task

from . import services


@shared_task(name=services.RUN_TASK, acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def run_aggregate_report(report_id, slow_seconds=0):
    """Compute one recorded request; a redelivered or duplicated message finds it claimed or done."""
    report = services.report_run(report_id=report_id, slow_seconds=slow_seconds)
    return report and report.status


@shared_task(name="reports.request_scheduled_reports", acks_late=True, ignore_result=True)
def request_scheduled_reports(product_codes=None):
    """The beat job: record (then queue) the scheduled all-sites report of each product."""
    return [report.pk for report in services.scheduled_reports_request(product_codes=product_codes)]


@shared_task(name="reports.requeue_stuck_reports", acks_late=True, ignore_result=True)
def requeue_stuck_reports():
    """The sweeper: re-send requests left queued or abandoned by a dead worker."""
    return services.reports_requeue_stuck()
