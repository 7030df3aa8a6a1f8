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


def test_the_embedded_broker_never_shows_a_consumer_a_half_written_message(tmp_path):
    from kombu import Connection

    folder = tmp_path / "queue"
    folder.mkdir()
    options = {"data_folder_in": str(folder), "data_folder_out": str(folder)}
    with Connection("filesystem://", transport="pv_tracker.broker:Transport", transport_options=options) as conn:
        channel = conn.default_channel
        channel._put("celery", {"body": "x" * 100_000})
    files = sorted(path.name for path in folder.iterdir())
    assert len(files) == 1 and files[0].endswith(".celery.msg")
    assert not any(name.endswith(".tmp") for name in files)
    with Connection("filesystem://", transport="pv_tracker.broker:Transport", transport_options=options) as conn:
        assert conn.default_channel._get("celery") == {"body": "x" * 100_000}
