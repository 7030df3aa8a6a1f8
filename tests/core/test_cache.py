"""The shared cache: CACHES from CACHE_URL, and a figure computed once by many workers (stampede lock).

Each worker is a thread with its own cache client, as gunicorn workers on several hosts would have.
The Redis tests use PV_TEST_REDIS_URL; they skip when Redis is unreachable, except under CI=true.
"""
import os
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache.backends.locmem import LocMemCache

from apps.core.cache import get_or_compute
from tests.reports.conftest import REDIS_URL

ROOT = Path(__file__).resolve().parents[2]
WORKERS = 8


def redis_cache(prefix):
    import redis
    from django.core.cache.backends.redis import RedisCache

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(f"Redis is not reachable at {REDIS_URL}: {exc}")
        pytest.skip(f"Redis is not reachable at {REDIS_URL}: {exc}")
    return RedisCache(REDIS_URL, {"KEY_PREFIX": prefix})


def locmem_cache(prefix):
    return LocMemCache(f"test-{prefix}", {})


@pytest.fixture(params=["locmem", "redis"])
def make_cache(request):
    """A factory of cache clients sharing one store (one key prefix per test)."""
    prefix = uuid.uuid4().hex
    if request.param == "redis":
        redis_cache(prefix)  # skip or fail early
        return lambda: redis_cache(prefix)
    return lambda: locmem_cache(prefix)  # LocMemCache instances of one name share their store


def test_w_workers_asking_at_once_compute_the_figure_once(make_cache):
    computed, results, start = [], [], threading.Barrier(WORKERS)

    def compute():
        computed.append(1)
        time.sleep(0.3)  # long enough for every other worker to find the key missing
        return {"exposed": 5}

    def worker():
        cache = make_cache()
        start.wait()
        results.append(get_or_compute("figure", compute, timeout=60, poll_seconds=0.01, cache=cache))

    threads = [threading.Thread(target=worker) for _ in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(computed) == 1
    assert results == [{"exposed": 5}] * WORKERS
    assert make_cache().get("figure:lock") is None  # the lock is released


def test_a_lock_left_by_a_dead_worker_does_not_block_for_ever(make_cache):
    cache = make_cache()
    cache.add("figure:lock", "a worker that died", 1)
    started = time.monotonic()
    assert get_or_compute("figure", lambda: 42, timeout=60, lock_seconds=1, poll_seconds=0.05, cache=cache) == 42
    assert time.monotonic() - started < 5


def test_an_error_while_computing_releases_the_lock(make_cache):
    cache = make_cache()

    def broken():
        raise RuntimeError("database went away")

    with pytest.raises(RuntimeError):
        get_or_compute("figure", broken, timeout=60, cache=cache)
    assert cache.get("figure:lock") is None
    assert get_or_compute("figure", lambda: 7, timeout=60, cache=cache) == 7


def test_the_configured_cache_follows_cache_url():
    backend = settings.CACHES["default"]["BACKEND"]
    if os.environ.get("CACHE_URL", "").startswith("redis"):
        assert backend == "django.core.cache.backends.redis.RedisCache"
        assert settings.CACHES["default"]["LOCATION"] == os.environ["CACHE_URL"]
    else:
        assert backend == "django.core.cache.backends.locmem.LocMemCache"


@pytest.mark.parametrize("url, expected", [
    ("redis://cache.internal:6379/3", "RedisCache redis://cache.internal:6379/3"),
    ("locmem://", "LocMemCache pv-tracker"),
    ("memcached://x", "CACHE_URL must be redis://host:port/db, locmem:// or dummy://, not 'memcached://x'"),
])
def test_cache_url_is_read_from_the_environment(url, expected):
    code = ("from pv_tracker import settings as s; c = s.CACHES['default']; "
            "print(c['BACKEND'].rsplit('.', 1)[1], c['LOCATION'])")
    env = {**os.environ, "CACHE_URL": url}
    run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert expected in (run.stdout + run.stderr)
