"""Database sessions that do not fail a page while SQLite is busy with an import.

Updating a session (its last-seen time) is best effort: when the database stays locked past the busy
timeout, the update is skipped and the page is still served. Creating a session (a login) is not skipped:
the login view then answers with the "busy, try again" page."""
import logging

from django.contrib.sessions.backends.base import UpdateError
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.db import OperationalError

from .middleware import database_is_busy

logger = logging.getLogger(__name__)


class SessionStore(DatabaseSessionStore):
    def save(self, must_create=False):
        try:
            super().save(must_create=must_create)
        except (OperationalError, UpdateError) as exc:
            # Django turns the update's database error into UpdateError; the busy error is its context.
            cause = exc if isinstance(exc, OperationalError) else exc.__context__
            if must_create or not database_is_busy(cause):
                raise
            logger.warning("Session update skipped: the database is busy (%s)", cause)
