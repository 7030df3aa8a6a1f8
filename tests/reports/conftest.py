"""Real Celery workers for tests, reusable by any app: `broker` fixtures and `start_worker`.

A worker is a subprocess (`celery -A pv_tracker worker --pool solo`) that reads the test
database (the test must use `@pytest.mark.django_db(transaction=True, serialized_rollback=True)`
so that the data is committed, and the seeded rows come back after the flush) and a broker
shared with the test process:

    def test_x(filesystem_broker, start_worker):      # or redis_broker
        start_worker(filesystem_broker)
        some_task.delay(...)                           # the test process now publishes there too

The Redis broker is `PV_TEST_REDIS_URL` (default redis://127.0.0.1:6379/4); when it is
unreachable the tests skip, except under CI=true where they fail.
"""
import os
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import pytest
from kombu import pools as kombu_pools
from django.conf import settings
from django.db import connection

from pv_tracker.celery import app as celery_app

REDIS_URL = os.environ.get("PV_TEST_REDIS_URL", "redis://127.0.0.1:6379/4")
WORKER_START_TIMEOUT = 60


@dataclass
class Broker:
    url: str
    transport_options: dict
    env: dict = field(default_factory=dict)


def worker_database_url() -> str:
    """DATABASE_URL of the test database this process uses (after pytest-django created it)."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    if connection.vendor == "postgresql":
        credentials = quote(db["USER"] or "", safe="")
        if db.get("PASSWORD"):
            credentials += ":" + quote(db["PASSWORD"], safe="")
        host = db.get("HOST") or "localhost"
        port = f":{db['PORT']}" if db.get("PORT") else ""
        return f"postgres://{credentials}@{host}{port}/{db['NAME']}"
    raise NotImplementedError(f"No worker DATABASE_URL for {connection.vendor}")


def _use_broker(broker: Broker | None):
    """Point this process's Celery app at `broker` (None: back to the settings)."""
    url = broker.url if broker else settings.CELERY_BROKER_URL
    # Celery copies broker_url into the read/write URLs when it is configured: set all three.
    celery_app.conf.broker_url = celery_app.conf.broker_write_url = celery_app.conf.broker_read_url = url
    # The embedded broker's transport class is chosen with the URL (see settings), not from its scheme.
    celery_app.conf.broker_transport = "pv_tracker.broker:Transport" if url.startswith("filesystem://") else None
    celery_app.conf.broker_transport_options = (broker.transport_options if broker
                                                else getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", {}))
    kombu_pools.reset()  # closes and forgets every pooled connection, so none points at the old broker
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@pytest.fixture
def filesystem_broker(tmp_path):
    """kombu's filesystem broker in a folder private to this test (PV_BROKER_DIR for the worker)."""
    folder = tmp_path / "broker"
    for sub in ("queue", "control"):
        (folder / sub).mkdir(parents=True)
    broker = Broker(url="filesystem://", env={"PV_BROKER_DIR": str(folder)}, transport_options={
        "data_folder_in": str(folder / "queue"), "data_folder_out": str(folder / "queue"),
        "control_folder": str(folder / "control"), "polling_interval": 0.2})
    _use_broker(broker)
    yield broker
    _use_broker(None)


@pytest.fixture
def redis_broker():
    """The Redis database PV_TEST_REDIS_URL, emptied before and after the test."""
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        message = f"Redis is not reachable at {REDIS_URL}: {exc}"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(message)
        pytest.skip(message)
    client.flushdb()
    broker = Broker(url=REDIS_URL, transport_options={"visibility_timeout": 3600})
    _use_broker(broker)
    yield broker
    _use_broker(None)
    client.flushdb()
    client.close()


class Worker:
    def __init__(self, process: subprocess.Popen, log_path: Path):
        self.process = process
        self.log_path = log_path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def kill(self):
        """SIGKILL the worker's process group: no warm shutdown, no ack, like a crash."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)


@pytest.fixture
def start_worker(transactional_db, tmp_path):
    """Start real Celery workers on the test database; they are killed at the end of the test."""
    workers = []

    def start(broker: Broker, **env_overrides) -> Worker:
        name = f"test-{uuid.uuid4().hex[:8]}"
        log_path = tmp_path / f"{name}.log"
        env = {**os.environ, "DATABASE_URL": worker_database_url(), "CELERY_BROKER_URL": broker.url,
               **broker.env, **{key: str(value) for key, value in env_overrides.items()}}
        command = [sys.executable, "-m", "celery", "-A", "pv_tracker", "worker", "--pool", "solo",
                   "--loglevel", "INFO", "--hostname", f"{name}@%h", "--without-gossip", "--without-mingle",
                   "--without-heartbeat"]
        with open(log_path, "wb") as log:
            process = subprocess.Popen(command, cwd=settings.BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT,
                                       start_new_session=True)
        worker = Worker(process, log_path)
        workers.append(worker)
        deadline = time.monotonic() + WORKER_START_TIMEOUT
        while " ready." not in worker.log():
            if process.poll() is not None or time.monotonic() > deadline:
                worker.kill()
                pytest.fail(f"The Celery worker did not start:\n{worker.log()[-3000:]}")
            time.sleep(0.2)
        return worker

    yield start
    for worker in workers:
        worker.kill()
        # Shown by pytest only when the test failed.
        print(f"--- worker log {worker.log_path.name} ---\n{worker.log()[-4000:]}")


def wait_for(predicate, timeout=60, interval=0.2, message="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"Timed out after {timeout}s waiting for {message}")
