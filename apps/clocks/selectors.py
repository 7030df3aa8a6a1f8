"""Reads of the regulatory clocks: one case's clock, and the queue of cases due soon or overdue."""
from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from apps.e2b.models import E2bExport, SenderOrganisation
from apps.reactions.models import InjectionSiteReaction
from apps.reactions.selectors import reaction_list

from .rules import deadlines

# A clock with less than this left is "due soon".
DUE_SOON = timedelta(days=7)
QUEUE_LIMIT = 500
LOOK_UP = object()  # case_clock: find when the case was first sent


@dataclass
class CaseClock:
    reaction: object
    rule: object
    due_at: object
    sent_at: object
    now: object

    @property
    def due_display(self):
        """The last day of a window in days; the instant of one in hours."""
        if self.rule.in_days:
            return self.due_date.isoformat()
        return timezone.localtime(self.due_at).strftime("%Y-%m-%d %H:%M")

    @property
    def remaining(self):
        return self.due_at - self.now

    @property
    def state(self):
        if self.sent_at is not None:
            return "sent_on_time" if self.sent_at <= self.due_at else "sent_late"
        if self.now >= self.due_at:
            return "overdue"
        return "due_soon" if self.remaining <= DUE_SOON else "running"

    @property
    def label(self):
        """The clock in words, in the reader's language."""
        if self.sent_at is not None:
            return _("sent on time") if self.state == "sent_on_time" else _("sent late")
        if self.rule.in_days:  # calendar days: today against the last day of the window
            days = (self.due_date - timezone.localdate(self.now)).days
            if days < 0:
                return span_words("overdue", -days, "day")
            return _("due today") if days == 0 else span_words("due", days, "day")
        if self.state == "overdue":
            return span_words("overdue", *whole_units(self.now - self.due_at))
        return span_words("due", *whole_units(self.remaining))

    @property
    def due_date(self):
        return timezone.localtime(self.due_at - timedelta(seconds=1)).date()


def whole_units(span):
    """Whole days when a day or more, else whole hours (rounded down)."""
    if span >= timedelta(days=1):
        return span.days, "day"
    return int(span.total_seconds() // 3600), "hour"


def span_words(kind, count, unit):
    """'due in 3 days', 'overdue by 1 hour', ...: one message per phrase, so each language words it whole."""
    phrases = {
        ("due", "day"): ngettext("due in %(count)s day", "due in %(count)s days", count),
        ("due", "hour"): ngettext("due in %(count)s hour", "due in %(count)s hours", count),
        ("overdue", "day"): ngettext("overdue by %(count)s day", "overdue by %(count)s days", count),
        ("overdue", "hour"): ngettext("overdue by %(count)s hour", "overdue by %(count)s hours", count),
    }
    return phrases[kind, unit] % {"count": count}


def case_country(reaction, sender=None):
    site_country = reaction.patient.site.country
    if site_country:
        return site_country
    sender = sender if sender is not None else SenderOrganisation.current()
    return sender.country if sender else ""


def case_clock(reaction, *, now=None, sender=None, sent_at=LOOK_UP):
    """The case's governing (earliest) deadline, or None when no rule applies or it is voided."""
    if reaction.is_voided or reaction.received_date is None:
        return None
    found = deadlines(reaction, case_country(reaction, sender))
    if not found:
        return None
    if sent_at is LOOK_UP:
        first = E2bExport.objects.filter(reaction=reaction).order_by("created_at").first()
        sent_at = first.created_at if first else None
    return CaseClock(reaction=reaction, rule=found[0].rule, due_at=found[0].due_at, sent_at=sent_at,
                     now=now or timezone.now())


def clock_queue(*, user, now=None):
    """Unsent live cases in the user's scope (every site for None) whose clock is due soon or overdue, most urgent first."""
    now = now or timezone.now()
    sender = SenderOrganisation.current()
    live = (InjectionSiteReaction.objects.filter(voided_at__isnull=True, patient__voided_at__isnull=True)
            .select_related("patient__site") if user is None else reaction_list(user=user))  # None: the beat job
    candidates = (live.filter(e2b_exports__isnull=True).select_related("product")
                  .order_by("received_date", "pk")[:QUEUE_LIMIT])
    clocks = [clock for reaction in candidates
              if (clock := case_clock(reaction, now=now, sender=sender, sent_at=None)) is not None
              and clock.state in ("overdue", "due_soon")]
    return sorted(clocks, key=lambda clock: clock.due_at)
