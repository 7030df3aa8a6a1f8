"""Two real `celery beat` processes on one Redis broker: one sends, the other stands by and takes over.

The beats read the committed test database (django-celery-beat's tables) and send to the Redis test
broker; nothing consumes the messages, which is enough: each beat logs every task it sends.
"""
import os
import re
import signal
import subprocess
import sys
import time

import pytest
from django.conf import settings
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from tests.reports.conftest import redis_broker, wait_for, worker_database_url  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

TASK_NAME = "single-beat probe"
LOCK_SECONDS = 3


class Beat:
    def __init__(self, broker, log_path, name):
        self.log_path = log_path
        env = {**os.environ, "DATABASE_URL": worker_database_url(), "CELERY_BROKER_URL": broker.url,
               "PV_BEAT_LOCK_SECONDS": str(LOCK_SECONDS), "PV_BEAT_LOCK_RETRY_SECONDS": "1"}
        with open(log_path, "wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "pv_tracker", "beat", "--loglevel", "INFO",
                 "--schedule", str(log_path.with_suffix(".db")), "--pidfile", str(log_path.with_suffix(".pid"))],
                cwd=settings.BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        self.name = name

    def log(self):
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def sent(self):
        return len(re.findall(rf"Sending due task {TASK_NAME}", self.log()))

    def kill(self):
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)


@pytest.fixture
def beats(redis_broker, tmp_path):
    started = []

    def start(name):
        beat = Beat(redis_broker, tmp_path / f"{name}.log", name)
        started.append(beat)
        return beat

    yield start
    for beat in started:
        beat.kill()
        print(f"--- {beat.name} ---\n{beat.log()[-3000:]}")  # shown when the test failed


def test_of_two_beats_one_sends_and_the_other_takes_over_when_it_dies(beats):
    every_second = IntervalSchedule.objects.create(every=1, period=IntervalSchedule.SECONDS)
    PeriodicTask.objects.create(name=TASK_NAME, task="reports.requeue_stuck_reports", interval=every_second)
    first, second = beats("beat-a"), beats("beat-b")

    wait_for(lambda: first.sent() + second.sent() >= 3, timeout=90, message="a beat sending the probe task")
    time.sleep(3)
    active, standby = (first, second) if first.sent() else (second, first)
    assert standby.sent() == 0, "both beats sent the task"
    assert "another beat holds the beat lock; standing by" in standby.log()

    active.kill()
    sent_before = active.sent()
    wait_for(lambda: standby.sent() >= 2, timeout=LOCK_SECONDS + 30, message="the standby beat taking over")
    assert "holds the beat lock: sending scheduled tasks" in standby.log()
    assert active.sent() == sent_before


def test_with_the_embedded_broker_the_lock_is_a_file_lock_that_one_holder_keeps(tmp_path):
    from pv_tracker.beat import FileBeatLock

    first, second = FileBeatLock(tmp_path / "beat.lock"), FileBeatLock(tmp_path / "beat.lock")
    assert first.hold() and first.hold()  # renewing is a no-op while held
    assert not second.hold()
    first.release()
    assert second.hold()
    second.release()
