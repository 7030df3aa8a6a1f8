"""The daily reminder: reviewers get the cases whose regulatory clock is due soon or overdue, each in their
own language."""
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from apps.accounts.models import User
from apps.core.mail import mail_users
from apps.core.roles import Role

from .selectors import clock_queue


def central_reviewers():
    return (User.objects.filter(is_active=True, site__isnull=True, groups__name__in=[Role.REVIEWER, Role.ADMIN])
            .exclude(email="").distinct().order_by("email"))


def email_due_cases(*, now=None) -> int:
    """One e-mail to the central reviewers listing every due-soon or overdue case; returns the number listed."""
    clocks = clock_queue(user=None, now=now)
    recipients = list(central_reviewers())
    if not clocks or not recipients:
        return 0
    overdue = sum(clock.state == "overdue" for clock in clocks)

    def compose():
        lines = [_("%(ref)s (%(site)s): %(state)s – %(rule)s, due %(due)s") % {
            "ref": clock.reaction.reaction_ref, "site": clock.reaction.patient.site.code, "state": clock.label,
            "rule": clock.rule.label, "due": clock.due_display} for clock in clocks]
        subject = (ngettext("pv-tracker: %(overdue)s overdue", "pv-tracker: %(overdue)s overdue", overdue)
                   % {"overdue": overdue} + ", " + ngettext("%(soon)s case due soon", "%(soon)s cases due soon",
                                                            len(clocks) - overdue) % {"soon": len(clocks) - overdue})
        return subject, "\n".join([*lines, "", _("Queue: %(url)s") % {"url": reverse("clocks:queue")}])

    mail_users(recipients, compose)
    return len(clocks)
