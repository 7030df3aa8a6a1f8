"""The daily reminder: reviewers get the cases whose regulatory clock is due soon or overdue."""
from django.conf import settings
from django.core.mail import send_mail
from django.urls import reverse

from apps.accounts.models import User
from apps.core.roles import Role

from .selectors import clock_queue


def reviewer_emails():
    return list(User.objects.filter(is_active=True, site__isnull=True, groups__name__in=[Role.REVIEWER, Role.ADMIN])
                .exclude(email="").values_list("email", flat=True).distinct().order_by("email"))


def email_due_cases(*, now=None) -> int:
    """One e-mail to the central reviewers listing every due-soon or overdue case; returns the number listed."""
    clocks = clock_queue(user=None, now=now)
    recipients = reviewer_emails()
    if not clocks or not recipients:
        return 0
    lines = [f"{clock.reaction.reaction_ref} ({clock.reaction.patient.site.code}): {clock.label} – {clock.rule.label}, "
             f"due {clock.due_display}" for clock in clocks]
    overdue = sum(clock.state == "overdue" for clock in clocks)
    subject = f"pv-tracker: {overdue} overdue and {len(clocks) - overdue} due-soon case(s)"
    body = "\n".join(lines + ["", f"Queue: {reverse('clocks:queue')}"])
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, recipients)
    return len(clocks)
