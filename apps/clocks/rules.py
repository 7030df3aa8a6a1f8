"""Regulatory reporting clocks: which deadlines a case is under, from day zero.

Day zero is the date the organisation first knew of the case (the reaction's C.1.4
`received_date`), counted as day 0; a window of N days ends with the end of day N, a window
in hours runs from the start of day zero. Each rule names its source; the rules that apply depend
on the country of the reporting site (else the sender organisation's) and on the case.
A case under several rules is due at the earliest of their deadlines.
"""
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Callable

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.reactions.choices import ReporterQualification

# EU/EEA member states (EU GVP Module VI applies; EudraVigilance is the receiver).
EEA = frozenset("AT BE BG HR CY CZ DK EE FI FR DE GR HU IE IT LV LT LU MT NL PL PT RO SK SI ES SE IS LI NO".split())
HEALTH_PROFESSIONALS = frozenset({ReporterQualification.PHYSICIAN, ReporterQualification.PHARMACIST,
                                  ReporterQualification.OTHER_HEALTH_PROFESSIONAL})


@dataclass(frozen=True)
class Rule:
    code: str
    label: str
    source: str
    window: timedelta
    applies: Callable  # (reaction, country) -> bool

    @property
    def in_days(self):
        """A window of whole days is calendar days: the last day counts to its end."""
        return self.window % timedelta(days=1) == timedelta(0)

    def due_at(self, start):
        return start + self.window + (timedelta(days=1) if self.in_days else timedelta(0))


def _serious(reaction, country):
    return reaction.is_serious


def _non_serious(reaction, country):
    return not reaction.is_serious


def _italian_health_professional(reaction, country):
    return country == "IT" and reaction.reporter_qualification in HEALTH_PROFESSIONALS


RULES = {
    "EU": (
        Rule("eu_serious", _("EU GVP VI: serious ICSR within 15 days"), "EU GVP Module VI.C.3 (Rev 2)",
             timedelta(days=15), _serious),
        Rule("eu_non_serious", _("EU GVP VI: non-serious ICSR within 90 days"), "EU GVP Module VI.C.3 (Rev 2)",
             timedelta(days=90), _non_serious),
    ),
    "IT": (
        Rule("it_hp_biological", _("Italy: health professional, biological medicine, within 36 hours"),
             "DM 30 aprile 2015, art. 22", timedelta(hours=36),
             lambda r, c: _italian_health_professional(r, c) and r.product.is_biological),
        Rule("it_hp", _("Italy: health professional within 2 days"), "DM 30 aprile 2015, art. 22",
             timedelta(days=2), lambda r, c: _italian_health_professional(r, c) and not r.product.is_biological),
    ),
    # The tracker does not assess expectedness (see apps/e2b/xml.py, C.1.7), so every serious case is
    # treated as possibly unexpected: the 15-day alert report clock.
    "US": (
        Rule("fda_serious_unexpected", _("FDA: serious and unexpected within 15 days"), "21 CFR 314.80(c)(1)",
             timedelta(days=15), _serious),
    ),
}


def rule_sets_for(country):
    if country == "US":
        return ("US",)
    if country == "IT":
        return ("EU", "IT")
    if country in EEA:
        return ("EU",)
    return ()


@dataclass(frozen=True)
class Deadline:
    rule: Rule
    due_at: datetime


def day_zero_start(reaction):
    """Day zero as an instant: the start of the received date in the project's time zone."""
    return timezone.make_aware(datetime.combine(reaction.received_date, time.min), timezone.get_default_timezone())


def deadlines(reaction, country):
    """Every deadline the case is under, earliest first."""
    start = day_zero_start(reaction)
    found = [Deadline(rule, rule.due_at(start)) for code in rule_sets_for(country) for rule in RULES[code]
             if rule.applies(reaction, country)]
    return sorted(found, key=lambda deadline: deadline.due_at)
