"""E-mails to users, each in the user's own language (User.language, set by the language switcher).

`compose` builds the subject and body with gettext; it is called once per language among the
recipients, inside translation.override, so that one mail server call goes to each language group.
"""
import logging
from collections import defaultdict

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import translation

logger = logging.getLogger(__name__)


def recipients_by_language(users) -> dict[str, list[str]]:
    groups = defaultdict(set)
    for user in users:
        if user.email:
            groups[user.language or settings.LANGUAGE_CODE].add(user.email)
    return {language: sorted(addresses) for language, addresses in sorted(groups.items())}


def mail_users(users, compose, *, after_commit=False, quiet=False) -> int:
    """Send compose() -> (subject, body) to `users` in their languages; returns the number of addresses.

    `after_commit` sends once the current transaction commits; `quiet` logs a mail-server failure
    instead of raising it (a workflow step already committed must not become an error page)."""
    groups = recipients_by_language(users)

    def deliver():
        for language, addresses in groups.items():
            with translation.override(language):
                subject, body = compose()
            try:
                send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, addresses)
            except Exception:
                if not quiet:
                    raise
                logger.exception("Could not send the notification %r to %s", subject, addresses)

    if groups:
        transaction.on_commit(deliver) if after_commit else deliver()
    return sum(len(addresses) for addresses in groups.values())
