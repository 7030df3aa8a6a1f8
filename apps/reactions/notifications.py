"""E-mails of the case workflow (submission, return to the site, lock), sent once the change commits,
each in its recipient's language.

The default backend prints them to the console (settings.EMAIL_BACKEND); a failing mail server is
logged and never undoes or blocks the workflow step that triggered it.
"""
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _

from apps.core.mail import mail_users
from apps.core.roles import Role


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


def _send(recipients, compose):
    mail_users(recipients, compose, after_commit=True, quiet=True)


def _what(version):
    """What the mail is about, in the language being composed: the case, or one follow-up of it."""
    if version is None:
        return _("Reaction")
    return _("Follow-up (version %(version)s) of") % {"version": version}


def notify_submitted(reaction, *, follow_up_version=None):
    url = _absolute(reverse("reactions:detail", args=[reaction.pk]))

    def compose():
        what = _what(follow_up_version)
        return (_("[pv-tracker] %(what)s %(ref)s submitted for review") % {"what": what, "ref": reaction.reaction_ref},
                _("%(what)s %(ref)s (patient %(patient)s, %(site)s) was submitted for review.\n\n%(url)s\n") % {
                    "what": what, "ref": reaction.reaction_ref, "patient": reaction.patient.patient_ref,
                    "site": reaction.patient.site.code, "url": url})
    _send(reviewers_for(reaction.patient.site_id), compose)


def notify_returned(reaction, question, *, follow_up_version=None):
    url = _absolute(reverse("reactions:detail", args=[reaction.pk]))

    def compose():
        what = _what(follow_up_version)
        return (_("[pv-tracker] %(what)s %(ref)s returned with a question") % {"what": what, "ref": reaction.reaction_ref},
                _("A reviewer returned %(what)s %(ref)s to the site with this question:\n\n%(question)s\n\n"
                  "Answer by editing the case and submitting it again:\n%(url)s\n") % {
                    "what": what.lower(), "ref": reaction.reaction_ref, "question": question, "url": url})
    _send(site_reporters(reaction.patient.site_id, also=reaction.reporter), compose)


def notify_locked(reaction, *, follow_up_version=None):
    url = _absolute(reverse("reactions:detail", args=[reaction.pk]))

    def compose():
        what = _what(follow_up_version)
        return (_("[pv-tracker] %(what)s %(ref)s reviewed and locked") % {"what": what, "ref": reaction.reaction_ref},
                _("%(what)s %(ref)s was reviewed and locked.\n\n%(url)s\n") % {
                    "what": what, "ref": reaction.reaction_ref, "url": url})
    _send(site_reporters(reaction.patient.site_id, also=reaction.reporter), compose)
