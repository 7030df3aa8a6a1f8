"""The worker that `make run` and docker compose start answers a ping over the configured broker."""
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CELERY = str(Path(sys.executable).with_name("celery"))


@pytest.fixture
def worker_env(tmp_path):
    # A private broker folder (filesystem transport) so that no other worker answers for this one.
    return {**os.environ, "PV_BROKER_DIR": str(tmp_path / "broker")}


def test_a_started_worker_answers_a_ping(worker_env):
    node = f"ping-test-{os.getpid()}@localhost"
    worker = subprocess.Popen(
        [CELERY, "-A", "pv_tracker", "worker", "--pool", "solo", "--hostname", node, "--loglevel", "WARNING",
         "--without-mingle", "--without-gossip"],
        cwd=ROOT, env=worker_env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 60
        reply = None
        while time.monotonic() < deadline:
            reply = subprocess.run([CELERY, "-A", "pv_tracker", "inspect", "ping", "-d", node, "--timeout", "3"],
                                   cwd=ROOT, env=worker_env, capture_output=True, text=True, timeout=60)
            if reply.returncode == 0 and "pong" in reply.stdout:
                break
            assert worker.poll() is None, worker.stdout.read()
            time.sleep(1)
        assert reply is not None and "pong" in reply.stdout, (reply.stdout, reply.stderr)
    finally:
        worker.terminate()
        worker.wait(timeout=30)
