"""A figure computed once across every worker and host: get-or-compute with a lock in the shared cache.

With W gunicorn workers on H hosts sharing one cache (Redis in production, CACHE_URL), the first
request for a missing key takes a short lock (`cache.add`, atomic on Redis and in local memory)
and computes; the others wait for the value instead of computing it W × H times (a cache
stampede). A holder that dies leaves a lock that expires after `lock_seconds`; a waiter that
waits that long computes the value itself rather than fail.
"""
import time
import uuid

from django.core.cache import cache as default_cache

_MISSING = object()


def get_or_compute(key, compute, *, timeout, lock_seconds=120, poll_seconds=0.05, cache=None):
    """The cached value of `key`, or compute() once (under the lock) and cache it for `timeout` seconds."""
    cache = cache or default_cache
    value = cache.get(key, _MISSING)
    if value is not _MISSING:
        return value
    lock_key, token = f"{key}:lock", uuid.uuid4().hex
    deadline = time.monotonic() + lock_seconds
    while True:
        if cache.add(lock_key, token, lock_seconds):
            try:
                value = cache.get(key, _MISSING)  # a holder may have finished between our get and add
                if value is _MISSING:
                    value = compute()
                    cache.set(key, value, timeout)
                return value
            finally:
                if cache.get(lock_key) == token:
                    cache.delete(lock_key)
        time.sleep(poll_seconds)
        value = cache.get(key, _MISSING)
        if value is not _MISSING:
            return value
        if time.monotonic() > deadline:
            return compute()
