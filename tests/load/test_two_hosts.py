"""A two-host rehearsal on one machine: two gunicorn instances (gunicorn.conf.py, gthread) and two Celery
workers on their own ports and hostnames, sharing the suite's database and a Redis broker.

Driven by scripts/load_submit.py: each reporter is logged in on both hosts and the submissions alternate
between them. Checks: no submission lost or stored twice (one history row each), the scheduled report sent
twice (once per host, as a second beat or a redelivery would) is computed once, and both hosts serve the
same pages.
"""
import json
import re
from pathlib import Path

import pytest
from django.conf import settings
from django_celery_beat.models import PeriodicTask

from apps.reactions.models import InjectionSiteReaction
from apps.reports.models import AggregateReport, ReportStatus
from apps.summaries.snapshots import refresh_figures
from pv_tracker.celery import app as celery_app
from scripts.load_submit import Gunicorn, Session, check_stored, free_port, plan_submissions, run_submissions
from tests.load.test_concurrent_submissions import assert_no_server_error, make_cohort
from tests.reports.conftest import redis_broker, start_worker, wait_for, worker_database_url  # noqa: F401

pytestmark = [pytest.mark.load, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

SUBMISSIONS = 60
CONCURRENCY = 16
VOLATILE = re.compile(r'(name="csrfmiddlewaretoken" value=|nonce=)"[^"]*"')


def host(broker, log_path):
    """One web host: gunicorn with the production configuration file, on a free port."""
    server = Gunicorn(database_url=worker_database_url(), log_path=log_path,
                      env={"CELERY_BROKER_URL": broker.url, "WEB_CONCURRENCY": "2", "GUNICORN_THREADS": "4"})
    server.port = free_port()
    server.url = f"http://127.0.0.1:{server.port}"
    server.command = [server.command[0], "pv_tracker.wsgi:application", "--config",
                      str(Path(settings.BASE_DIR) / "gunicorn.conf.py"), "--bind", f"127.0.0.1:{server.port}"]
    return server.start()


@pytest.fixture
def hosts(redis_broker, tmp_path):  # noqa: F811 (fixture)
    started = [host(redis_broker, tmp_path / f"host-{name}.log") for name in ("a", "b")]
    yield started
    for server in started:
        server.stop()


def page(session, path):
    response = session.get(path)
    assert response.status == 200, (path, response.status)
    return VOLATILE.sub(r"\1", response.body)


def test_two_hosts_share_the_data_the_queue_and_the_schedule(hosts, redis_broker, start_worker,  # noqa: F811
                                                              product, password, reviewer):
    workers = [start_worker(redis_broker), start_worker(redis_broker)]
    users, patients = make_cohort(product)
    sessions = {code: [Session(server.url).login(user.username, password) for user in site_users for server in hosts]
                for code, site_users in users.items()}
    plans = plan_submissions(sessions_by_site=sessions, patients_by_site=patients, count=SUBMISSIONS,
                             prefix="TWO-HOSTS")
    done, _ = run_submissions(plans, product_pk=product.pk, concurrency=CONCURRENCY)

    assert [(s.ref, s.status, s.error) for s in done if s.status != 302] == []
    by_host = {server.url: sum(s.session.base_url == server.url for s in done) for server in hosts}
    assert min(by_host.values()) >= SUBMISSIONS // 3, by_host  # both hosts took their share
    assert check_stored([s.ref for s in done]) == []  # each stored once, with one history row
    assert InjectionSiteReaction.objects.count() == SUBMISSIONS

    # The scheduled report, sent once from each host: one snapshot, computed by one of the two workers.
    periodic = PeriodicTask.objects.get(name="Aggregate report: anakinra (monthly)")
    for _ in hosts:
        celery_app.send_task(periodic.task, kwargs=json.loads(periodic.kwargs))
    report = wait_for(lambda: AggregateReport.objects.filter(status=ReportStatus.DONE, scheduled=True).first(),
                      timeout=120, message="the scheduled snapshot")
    wait_for(lambda: sum(len(re.findall(r"Task reports\.request_scheduled_reports\[[^]]+\] succeeded", w.log()))
                         for w in workers) == 2, timeout=180, message="both scheduled-report messages handled")
    assert AggregateReport.objects.filter(scheduled=True).exclude(status=ReportStatus.DUPLICATE).count() == 1

    # Both hosts show the same pages, to a site-bound reporter and to a central reviewer, once the stored
    # figures are current (before that, a host computes them itself while the worker stores them).
    refresh_figures()
    for username, paths in ((users["site-01"][0].username, ("/reactions/", "/patients/", "/exposures/", "/")),
                            (reviewer.username, ("/reactions/", f"/reports/{report.pk}/", "/reports/", "/"))):
        on_each_host = [Session(server.url).login(username, password) for server in hosts]
        for path in paths:
            assert page(on_each_host[0], path) == page(on_each_host[1], path), (username, path)
    for server in hosts:
        assert_no_server_error(server)
