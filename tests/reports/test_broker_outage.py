"""A Redis broker that goes away and comes back: no report request is lost.

The test runs its own redis-server on a spare port, so that it can stop and restart it.
"""
import shutil
import socket
import subprocess
import time
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from apps.products.models import Product
from apps.reports import services
from apps.reports.models import AggregateReport, ReportStatus
from pv_tracker.celery import app as celery_app
from tests.reports.cohort import AS_OF, build_cohort
from tests.reports.conftest import Broker, _use_broker, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def spare_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class RedisServer:
    def __init__(self, tmp_path):
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.fail("redis-server is not installed (Debian package redis-server).")
        self.binary, self.dir, self.port, self.process = binary, tmp_path, spare_port(), None

    @property
    def url(self):
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self):
        self.process = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.dir)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for(self.answers, timeout=20, message="redis-server answering")

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=20)
        assert not self.answers()

    def answers(self):
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as conn:
                conn.sendall(b"PING\r\n")
                return conn.recv(16).startswith(b"+PONG")
        except OSError:
            return False


@pytest.fixture
def own_redis(tmp_path):
    server = RedisServer(tmp_path)
    server.start()
    _use_broker(Broker(url=server.url, transport_options={"visibility_timeout": 3600,
                                                          "max_retries": 0, "socket_connect_timeout": 1}))
    yield server
    _use_broker(None)
    if server.process.poll() is None:
        server.stop()


def test_run_now_and_the_monthly_schedule_survive_a_broker_outage(own_redis, start_worker, client, analyst,
                                                                   site, other_site, settings):
    build_cohort(site, other_site)
    start_worker(Broker(url=own_redis.url, transport_options={}))
    own_redis.stop()

    # "Run now" while the broker is down: the request is recorded, the page answers.
    client.force_login(analyst)
    product = Product.objects.get(code="anakinra")
    response = client.post(reverse("reports:run"), {"product": product.pk, "as_of": AS_OF.isoformat()})
    assert response.status_code == 302
    manual = AggregateReport.objects.get(scheduled=False)
    assert manual.status == ReportStatus.QUEUED

    # The monthly schedule fell due during the outage: beat could not send its message.
    monthly = PeriodicTask.objects.get(task="reports.request_scheduled_reports")
    PeriodicTask.objects.filter(pk=monthly.pk).update(date_changed=timezone.now() - timedelta(days=40))
    with pytest.raises(Exception):
        celery_app.send_task("reports.request_scheduled_reports", kwargs={"product_codes": ["anakinra"]},
                             retry=False)
    assert not AggregateReport.objects.filter(scheduled=True).exists()

    # The broker comes back on the same port; the worker reconnects; the sweeper runs.
    own_redis.start()
    settings.REPORTS_REQUEUE_AFTER_SECONDS = 0
    time.sleep(0.01)
    services.reports_requeue_stuck()
    scheduled = AggregateReport.objects.get(scheduled=True)
    wait_for(lambda: AggregateReport.objects.get(pk=manual.pk).status == ReportStatus.DONE, timeout=90,
             message="the run-now report computed after the outage")
    wait_for(lambda: AggregateReport.objects.get(pk=scheduled.pk).status in (ReportStatus.DONE, ReportStatus.DUPLICATE),
             timeout=90, message="the scheduled report computed after the outage")
    # A second sweep (or the late beat message) records nothing new.
    services.reports_requeue_stuck()
    assert AggregateReport.objects.filter(scheduled=True).count() == 1
