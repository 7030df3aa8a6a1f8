"""E-mails of the case workflow (submission, return to the site, lock), sent once the change commits.

The default backend prints them to the console (settings.EMAIL_BACKEND); a failing mail server is
logged and never undoes or blocks the workflow step that triggered it.
"""
import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.urls import reverse

from apps.accounts.roles import Role

logger = logging.getLogger(__name__)


def _absolute(path):
    return f"{settings.SITE_URL.rstrip('/')}{path}"


def reviewers_for(site_id):
    """Active reviewers and admins with an e-mail who may see a case of `site_id`."""
    return (get_user_model().objects.filter(is_active=True, groups__name__in=[Role.REVIEWER, Role.ADMIN])
            .exclude(email="").filter(Q(site__isnull=True) | Q(site_id=site_id)).distinct())


def site_reporters(site_id, also=None):
    """The site's active reporters with an e-mail, plus `also` (the case's own reporter)."""
    users = set(get_user_model().objects.filter(is_active=True, site_id=site_id, groups__name=Role.REPORTER)
                .exclude(email=""))
    if also is not None and also.is_active and also.email:
        users.add(also)
    return users


def _send(subject, body, recipients):
    addresses = sorted({user.email for user in recipients})
    if not addresses:
        return

    def deliver():
        try:
            send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, addresses)
        except Exception:  # the step is committed; a mail outage must not turn it into an error page
            logger.exception("Could not send the notification %r to %s", subject, addresses)

    transaction.on_commit(deliver)


def notify_submitted(reaction, *, what="Reaction"):
    url = _absolute(reverse("reactions:detail", args=[reaction.pk]))
    _send(f"[pv-tracker] {what} {reaction.reaction_ref} submitted for review",
          f"{what} {reaction.reaction_ref} (patient {reaction.patient.patient_ref}, {reaction.patient.site.code}) "
          f"was submitted for review.\n\n{url}\n", reviewers_for(reaction.patient.site_id))


def notify_returned(reaction, question, *, what="Reaction"):
    url = _absolute(reverse("reactions:detail", args=[reaction.pk]))
    _send(f"[pv-tracker] {what} {reaction.reaction_ref} returned with a question",
          f"A reviewer returned {what.lower()} {reaction.reaction_ref} to the site with this question:\n\n"
          f"{question}\n\nAnswer by editing the case and submitting it again:\n{url}\n",
          site_reporters(reaction.patient.site_id, also=reaction.reporter))


def notify_locked(reaction, *, what="Reaction"):
    url = _absolute(reverse("reactions:detail", args=[reaction.pk]))
    _send(f"[pv-tracker] {what} {reaction.reaction_ref} reviewed and locked",
          f"{what} {reaction.reaction_ref} was reviewed and locked.\n\n{url}\n",
          site_reporters(reaction.patient.site_id, also=reaction.reporter))
