"""Reports run by a real Celery worker process, on the filesystem broker and on Redis."""
import json
import time
from datetime import date

import pytest
from django_celery_beat.models import PeriodicTask

from apps.products.models import Product
from apps.reports import services
from apps.reports.models import AggregateReport, ReportStatus
from apps.reports.tasks import run_aggregate_report
from pv_tracker.celery import app as celery_app
from tests.reports.cohort import AS_OF, build_cohort
from tests.reports.conftest import wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

BROKERS = ["filesystem_broker", "redis_broker"]


def done_reports():
    return AggregateReport.objects.filter(status=ReportStatus.DONE)


@pytest.mark.parametrize("broker_fixture", BROKERS)
def test_a_worker_runs_the_scheduled_monthly_report(request, broker_fixture, start_worker, site, other_site):
    broker = request.getfixturevalue(broker_fixture)
    build_cohort(site, other_site)
    start_worker(broker)
    # Send what beat sends for the default schedule created by the data migration.
    periodic = PeriodicTask.objects.get(name="Aggregate report: anakinra (monthly)")
    assert periodic.crontab is not None and periodic.enabled
    celery_app.send_task(periodic.task, kwargs=json.loads(periodic.kwargs))

    report = wait_for(lambda: done_reports().first(), message="the scheduled snapshot")
    assert report.scheduled and report.product.code == "anakinra"
    # As of the end of last month; once that is past 2026-07-15, G is exposed too (A, B, C, D, G, I).
    assert report.as_of.day != 1 and report.as_of < date.today()
    assert report.results["exposed_patients"] == (6 if report.as_of >= date(2026, 7, 15) else 5)
    assert report.code_version and report.data_fingerprint and report.timings["total_seconds"] >= 0
    assert report.reference_figures["isr_incidence"] == "0.64400"
    assert AggregateReport.objects.count() == 1


@pytest.mark.parametrize("broker_fixture", BROKERS)
def test_a_run_now_request_is_recorded_then_computed_by_the_worker(request, broker_fixture, start_worker, site,
                                                                    other_site):
    broker = request.getfixturevalue(broker_fixture)
    build_cohort(site, other_site)
    start_worker(broker)
    report = services.report_request(product=Product.objects.get(code="anakinra"), as_of=AS_OF)
    assert report.status == ReportStatus.QUEUED  # recorded first, the task was queued on commit
    wait_for(lambda: AggregateReport.objects.get(pk=report.pk).status == ReportStatus.DONE, message="done")
    assert AggregateReport.objects.get(pk=report.pk).results["isr_events"] == 6


def test_a_worker_killed_mid_task_is_redelivered_and_leaves_one_snapshot(redis_broker, start_worker, site,
                                                                           other_site):
    build_cohort(site, other_site)
    report = services.report_request(product=Product.objects.get(code="anakinra"), as_of=AS_OF, queue=False)
    # The first worker holds the report for a 2-second lease and sleeps 120 s after claiming it.
    first = start_worker(redis_broker, PV_REPORT_LEASE_SECONDS=2)
    run_aggregate_report.apply_async(args=[report.pk], kwargs={"slow_seconds": 120})
    wait_for(lambda: AggregateReport.objects.get(pk=report.pk).status == ReportStatus.RUNNING, message="running")
    first.kill()
    assert AggregateReport.objects.get(pk=report.pk).status == ReportStatus.RUNNING
    # The message was never acknowledged (acks_late): a new worker gets it back once the visibility
    # timeout has passed, takes over the expired lease and finishes the report.
    time.sleep(3)
    start_worker(redis_broker, CELERY_VISIBILITY_TIMEOUT=2, CELERY_UNACKED_RESTORE_INTERVAL=1,
                 CELERY_UNACKED_RESTORE_THROTTLE=1)
    wait_for(lambda: AggregateReport.objects.get(pk=report.pk).status == ReportStatus.DONE, timeout=90,
             message="the redelivered task")
    report.refresh_from_db()
    assert report.attempts == 2
    assert done_reports().count() == 1 and AggregateReport.objects.count() == 1


def test_the_sweeper_recovers_a_report_whose_worker_died_on_the_filesystem_broker(filesystem_broker, start_worker,
                                                                                    site, other_site, settings):
    # The filesystem transport deletes a message when it is delivered, so a killed worker's report is
    # only recovered by the sweeper (running with an expired lease).
    build_cohort(site, other_site)
    report = services.report_request(product=Product.objects.get(code="anakinra"), as_of=AS_OF, queue=False)
    first = start_worker(filesystem_broker, PV_REPORT_LEASE_SECONDS=1)
    run_aggregate_report.apply_async(args=[report.pk], kwargs={"slow_seconds": 120})
    wait_for(lambda: AggregateReport.objects.get(pk=report.pk).status == ReportStatus.RUNNING, message="running")
    first.kill()
    start_worker(filesystem_broker)
    time.sleep(1.5)
    settings.REPORTS_REQUEUE_AFTER_SECONDS = 0
    assert services.reports_requeue_stuck() == [report.pk]
    wait_for(lambda: AggregateReport.objects.get(pk=report.pk).status == ReportStatus.DONE, message="done")
    assert done_reports().count() == 1 and AggregateReport.objects.get(pk=report.pk).attempts == 2


def test_a_request_made_while_the_broker_is_down_is_kept_and_sent_by_the_sweeper(filesystem_broker, start_worker,
                                                                                   site, other_site, settings):
    from tests.reports.conftest import Broker, _use_broker

    build_cohort(site, other_site)
    _use_broker(Broker(url="redis://127.0.0.1:1/0", transport_options={}))  # nothing listens on port 1
    report = services.report_request(product=Product.objects.get(code="anakinra"), as_of=date(2026, 6, 30))
    assert AggregateReport.objects.get(pk=report.pk).status == ReportStatus.QUEUED
    _use_broker(filesystem_broker)
    start_worker(filesystem_broker)
    settings.REPORTS_REQUEUE_AFTER_SECONDS = 0
    time.sleep(0.01)
    assert services.reports_requeue_stuck() == [report.pk]
    wait_for(lambda: AggregateReport.objects.get(pk=report.pk).status == ReportStatus.DONE, message="done")
