"""One beat at a time, guaranteed by a lock rather than by a replica count.

Every beat process runs `SingleBeatScheduler` (settings.CELERY_BEAT_SCHEDULER): django-celery-beat's
database scheduler, which sends due tasks only while it holds the beat lock. A second beat (a
rolling deploy, a second host, a mistaken `--scale beat=2`) starts, finds the lock taken and idles,
trying again every few seconds; it takes over within the lock's lifetime when the first one dies.

The lock lives where the beats can all see it: in Redis when the broker is Redis (a key with a
lifetime, renewed on every tick; redis-py's Lock, whose release and extension check the owner's
token), otherwise in an flock()ed file under PV_VAR_DIR (the embedded broker is single-host anyway;
the kernel drops the lock with the process).
"""
import fcntl
import logging
import os
import socket

from django.conf import settings
from django_celery_beat.schedulers import DatabaseScheduler

logger = logging.getLogger(__name__)

LOCK_NAME = "pv-tracker:beat-lock"


class RedisBeatLock:
    def __init__(self, url, ttl):
        import redis

        self.ttl = ttl
        self.client = redis.Redis.from_url(url, socket_connect_timeout=5, socket_timeout=5)
        self.lock = self.client.lock(LOCK_NAME, timeout=ttl, blocking=False, thread_local=False)

    def hold(self) -> bool:
        """Acquire the lock, or renew it when already held; False when another beat holds it."""
        import redis

        try:
            if self.lock.local.token is not None:
                if self.lock.reacquire():
                    return True
                self.lock.local.token = None
                logger.warning("Beat lock lost (it expired or was taken over); standing by.")
            return self.lock.acquire(blocking=False)
        except redis.exceptions.LockNotOwnedError:
            self.lock.local.token = None
            logger.warning("Beat lock lost (it expired or was taken over); standing by.")
            return False
        except redis.RedisError as exc:
            logger.warning("Beat lock: Redis is not reachable (%s); sending nothing until it is.", exc)
            return False

    def release(self):
        import redis

        try:
            if self.lock.local.token is not None:
                self.lock.release()
        except redis.RedisError:
            pass


class FileBeatLock:
    def __init__(self, path):
        self.path = path
        self.handle = None

    def hold(self) -> bool:
        if self.handle is not None:
            return True
        handle = open(self.path, "a+")  # noqa: SIM115 - held open for the life of the process
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            return False
        self.handle = handle
        return True

    def release(self):
        if self.handle is not None:
            self.handle.close()
            self.handle = None


def beat_lock():
    url = settings.CELERY_BROKER_URL
    if url.startswith(("redis://", "rediss://")):
        return RedisBeatLock(url, settings.BEAT_LOCK_SECONDS)
    settings.VAR_DIR.mkdir(parents=True, exist_ok=True)
    return FileBeatLock(settings.VAR_DIR / "beat.lock")


class SingleBeatScheduler(DatabaseScheduler):
    """The database scheduler, sending only while this process holds the beat lock."""

    def __init__(self, *args, **kwargs):
        self.beat_lock = beat_lock()
        self.holding = None  # unknown until the first tick
        self.identity = f"{socket.gethostname()}:{os.getpid()}"
        super().__init__(*args, **kwargs)

    def tick(self, *args, **kwargs):
        held = self.beat_lock.hold()
        if held and not self.holding:
            logger.info("Beat %s holds the beat lock: sending scheduled tasks.", self.identity)
            # Read the schedule afresh: the previous holder stored the last run of every entry.
            self._initial_read = True
            self._heap = None
        elif not held and self.holding:
            logger.warning("Beat %s no longer holds the beat lock.", self.identity)
        elif not held and self.holding is None:
            logger.info("Beat %s: another beat holds the beat lock; standing by.", self.identity)
        self.holding = held
        if not held:
            return settings.BEAT_LOCK_RETRY_SECONDS
        # Wake up often enough to renew the lock well before it expires.
        return min(super().tick(*args, **kwargs), settings.BEAT_LOCK_SECONDS / 3)

    def close(self):
        try:
            super().close()
        finally:
            self.beat_lock.release()
