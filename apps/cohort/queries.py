"""The cohort's grouped queries: every figure is counted by the database and comes back as named rows.

Python only sees totals and rows grouped by day, site, dose or severity, whose number is
bounded by the number of distinct days (or sites, doses), never by the number of patients or
reactions. Dates become integer day numbers in SQL (`DayNumber`), the one date arithmetic of
the project, so that it means the same on SQLite and PostgreSQL.
"""
import time
from datetime import date, timedelta
from decimal import Decimal
from typing import NamedTuple

from django.db import connection
from django.db.models import Case, Count, DateField, Exists, F, IntegerField, Min, OuterRef, Q, Subquery, Sum, Value, When
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce, Least, TruncMonth

from apps.core.fields import contains_code
from apps.reactions.choices import CtcaeGrade, Severity, Symptom

from . import rules
from .rules import SIX_MONTHS_DAYS, TWELVE_MONTHS_DAYS
from .scope import Scope
from .sql import EPOCH, DayNumber, day_number, fetch


# --- named rows --------------------------------------------------------------------------------

class EntryGroup(NamedTuple):
    """Exposed patients whose first counted period starts on `first_day` (a day number)."""
    first_day: int
    patients: int
    exposure_days: int
    exposed_6_months: int
    exposed_12_months: int
    at_risk_days: int  # exposure days up to and including the first counted ISR (all of them without one)
    with_horizon_isr: int  # first counted ISR onset ≤ first start + h − 1
    with_horizon_severe: int  # a severe counted ISR with onset ≤ first start + h − 1


class TimeToFirstIsrGroup(NamedTuple):
    """Patients whose first counted ISR came `days` after their first exposure (event), or who were
    followed `days` without one (censored at min(D, last period end + W))."""
    days: int
    event: bool
    patients: int
    severe_patients: int


class FirstIsrDayGroup(NamedTuple):
    day: int
    patients: int


class ReactionGroup(NamedTuple):
    """Counted reactions lasting `duration_days` (resolved by D) or censored at D after `duration_days`."""
    duration_days: int
    resolved: bool
    severity: str
    reactions: int


class DurationGroup(NamedTuple):
    duration_days: int
    resolved: bool
    reactions: int


class PatientGroups(NamedTuple):
    entries: list
    time_to_first_isr: list
    first_isr_days: list


class Incidence(NamedTuple):
    """Exposed patients and those with at least one counted ISR, for one group (`key`) or all."""
    key: object
    exposed: int
    with_isr: int


class ReactionCounts(NamedTuple):
    """Counted reactions by severity, CTCAE grade, symptom and duration band, and patients by worst severity."""
    total: int
    by_severity: dict
    by_grade: dict
    not_graded: int
    by_symptom: dict
    under_14: int
    from_14_to_28: int
    over_28: int
    ongoing: int
    patients: int
    patients_moderate_or_severe: int
    patients_severe: int

    @property
    def patients_mild_moderate(self):
        """Patients whose counted reactions were all mild or moderate (the reference's definition)."""
        return self.patients - self.patients_severe


class PatientSeverity(NamedTuple):
    """Patients with a counted reaction, and of them those with a severe one."""
    patients: int
    patients_severe: int

    @property
    def patients_mild_moderate(self):
        return self.patients - self.patients_severe


class ExposureCounts(NamedTuple):
    patients: int
    exposed_6_months: int
    exposed_12_months: int
    exposure_days: int


class MonthlyOnsets(NamedTuple):
    month: date
    reactions: int
    patients: int


# --- shared expressions --------------------------------------------------------------------------

def clipped_end_day(as_of: date):
    """A period's last counted day: its end, or D when ongoing or ending later."""
    as_of_day = day_number(as_of)
    return Least(Coalesce(DayNumber("end_date"), Value(as_of_day)), Value(as_of_day), output_field=IntegerField())


def observed_days(as_of: date):
    """Duration of a reaction as of D: resolution − onset + 1, or D − onset + 1 while ongoing at D."""
    as_of_day = day_number(as_of)
    return Least(Coalesce(DayNumber("resolution_date"), Value(as_of_day)), Value(as_of_day),
                 output_field=IntegerField()) - DayNumber("onset_date") + 1


def resolved_by(as_of: date) -> Q:
    return Q(resolution_date__isnull=False, resolution_date__lte=as_of)


# --- the report's groupings -----------------------------------------------------------------------

def _first_isr_sql(scope: Scope):
    """One row per patient with an ISR that counts if the patient is exposed (the caller's LEFT JOIN from the
    exposed patients keeps only those): first onset day and first severe onset day (NULL without one)."""
    # A site's scope keeps the semi-join: it narrows a million reactions to the site's few.
    reactions = rules.counted_reactions(scope) if scope.site_id is not None else rules.reactions_of_exposed(scope)
    per_patient = (reactions.values("patient_id")
                   .annotate(first_onset_day=DayNumber(Min("onset_date")),  # one date conversion per patient
                             first_severe_day=DayNumber(Min(Case(When(severity=Severity.SEVERE, then=F("onset_date")),
                                                                 default=None))))
                   .order_by())
    return per_patient.query.sql_with_params()


def per_patient_sql(scope: Scope):
    """SQL of one row per exposed patient: exposure days, days at risk (exposure days up to and including the
    first counted ISR onset, all of them without one), first start day, last exposure day, and from the counted
    ISRs the first onset day and the first severe onset day (NULL when the patient has none)."""
    periods = (rules.counted_periods(scope)
               .annotate(start_day=DayNumber("start_date"), end_day=clipped_end_day(scope.as_of))
               .values("patient_id", "start_day", "end_day"))
    q_sql, q_params = periods.query.sql_with_params()
    r_sql, r_params = _first_isr_sql(scope)
    sql = ("SELECT q.patient_id, SUM(q.end_day - q.start_day + 1) AS exposure_days, "
           "SUM(CASE WHEN r.first_onset_day IS NULL OR q.end_day < r.first_onset_day THEN q.end_day - q.start_day + 1 "
           "WHEN q.start_day > r.first_onset_day THEN 0 ELSE r.first_onset_day - q.start_day + 1 END) AS at_risk_days, "
           "MIN(q.start_day) AS first_day, MAX(q.end_day) AS last_day, MIN(r.first_onset_day) AS first_onset_day, "
           "MIN(r.first_severe_day) AS first_severe_day "
           f"FROM ({q_sql}) q LEFT JOIN ({r_sql}) r ON r.patient_id = q.patient_id GROUP BY q.patient_id")
    return sql, (*q_params, *r_params)


# Every grouping of one statement has the same 11 columns: kind, key, event, count, a, b, c, d, e, f, severity.
def _patient_groups_sql(sql: str, scope: Scope, horizon: int | None) -> str:
    """Three groupings of the per-patient rows `sql`, computed once (a CTE used several times is materialised
    by SQLite and PostgreSQL).

    The time to first ISR of a patient without one is censored at min(D, last exposure day + W); a first ISR
    within the horizon has onset ≤ first start + h − 1 (h = 1 without a horizon: those columns are then unused).
    The numbers put in the text are integers from the models (W, h) and D, never user text."""
    window, as_of_day, last_in_horizon = int(scope.risk_window_days), day_number(scope.as_of), int(horizon or 1) - 1
    return (
        f"WITH pp AS ({sql}) "
        "SELECT 'entry', pp.first_day, 0, COUNT(*), SUM(pp.exposure_days), "
        f"SUM(CASE WHEN pp.exposure_days >= {SIX_MONTHS_DAYS} THEN 1 ELSE 0 END), "
        f"SUM(CASE WHEN pp.exposure_days >= {TWELVE_MONTHS_DAYS} THEN 1 ELSE 0 END), SUM(pp.at_risk_days), "
        f"SUM(CASE WHEN pp.first_onset_day <= pp.first_day + {last_in_horizon} THEN 1 ELSE 0 END), "
        f"SUM(CASE WHEN pp.first_severe_day <= pp.first_day + {last_in_horizon} THEN 1 ELSE 0 END), NULL "
        "FROM pp GROUP BY pp.first_day "
        "UNION ALL SELECT 'time_to_first_isr', tt.t, tt.event, COUNT(*), SUM(tt.severe), 0, 0, 0, 0, 0, NULL "
        "FROM (SELECT "
        f"CASE WHEN pp.first_onset_day IS NULL THEN (CASE WHEN pp.last_day + {window} < {as_of_day} "
        f"THEN pp.last_day + {window} ELSE {as_of_day} END) - pp.first_day + 1 "
        "ELSE pp.first_onset_day - pp.first_day + 1 END AS t, "
        "CASE WHEN pp.first_onset_day IS NULL THEN 0 ELSE 1 END AS event, "
        "CASE WHEN pp.first_severe_day IS NULL THEN 0 ELSE 1 END AS severe FROM pp) tt GROUP BY tt.t, tt.event "
        "UNION ALL SELECT 'first_isr_day', pp.first_onset_day, 0, COUNT(*), 0, 0, 0, 0, 0, 0, NULL FROM pp "
        "WHERE pp.first_onset_day IS NOT NULL GROUP BY pp.first_onset_day")


_ROW_OF_KIND = {
    "entry": lambda key, event, count, a, b, c, d, e, f, severity:
        EntryGroup(int(key), int(count), int(a), int(b), int(c), int(d), int(e), int(f)),
    "time_to_first_isr": lambda key, event, count, a, b, c, d, e, f, severity:
        TimeToFirstIsrGroup(int(key), bool(event), int(count), int(a)),
    "first_isr_day": lambda key, event, count, a, b, c, d, e, f, severity: FirstIsrDayGroup(int(key), int(count)),
    "reaction": lambda key, event, count, a, b, c, d, e, f, severity:
        ReactionGroup(int(key), bool(event), severity, int(count)),
}


def _named_groups(rows) -> dict[str, list]:
    groups = {kind: [] for kind in _ROW_OF_KIND}
    for kind, *columns in rows:
        groups[kind].append(_ROW_OF_KIND[kind](*columns))
    return {kind: sorted(values) for kind, values in groups.items()}


def patient_groups(scope: Scope, horizon: int | None = None) -> PatientGroups:
    """In one statement: entries (by first exposure day, with the horizon counts for `horizon` days), time to
    first ISR (event or censored) and first-ISR days."""
    sql, params = per_patient_sql(scope)
    groups = _named_groups(fetch(_patient_groups_sql(sql, scope, horizon), params))
    return PatientGroups(groups["entry"], groups["time_to_first_isr"], groups["first_isr_day"])


def _reaction_groups(reactions, as_of: date):
    """(duration, resolved, severity, n) of `reactions`: durations, events and severities in one pass."""
    # Resolved after D counts as ongoing: censored at D, i.e. min(resolution, D) − onset + 1 either way.
    return (reactions
            .annotate(resolved=Case(When(resolved_by(as_of), then=Value(1)), default=Value(0),
                                    output_field=IntegerField()),
                      duration=observed_days(as_of))
            .values("duration", "resolved", "severity").annotate(n=Count("id")).order_by()
            .values_list("duration", "resolved", "severity", "n"))


def reaction_groups(scope: Scope) -> list[ReactionGroup]:
    rows = _reaction_groups(rules.counted_reactions(scope), scope.as_of)
    return sorted(ReactionGroup(int(d), bool(e), severity, int(n)) for d, e, severity, n in rows)


def profile_groups(scope: Scope, horizon: int | None = None) -> tuple[PatientGroups, list[ReactionGroup], dict]:
    """patient_groups and reaction_groups, timed. On SQLite in one statement: the exposed patients are worked
    out once (the CTE) and the reactions' patient filter reads them. On PostgreSQL in two: a CTE scan cannot
    run in parallel workers, and the reactions' own semi-join does (two statements take 1.0 s at a million
    reactions, one 1.4 s)."""
    started = time.perf_counter()
    if connection.vendor != "sqlite":
        patients = patient_groups(scope, horizon)
        middle = time.perf_counter()
        reactions = reaction_groups(scope)
        return patients, reactions, {"patients_sql": round(middle - started, 6),
                                     "reactions_sql": round(time.perf_counter() - middle, 6)}
    sql, sql_params = per_patient_sql(scope)
    exposed = rules.reactions_of_exposed(scope).filter(patient_id__in=RawSQL("SELECT pp.patient_id FROM pp", ()))
    r_sql, r_params = _reaction_groups(exposed, scope.as_of).query.sql_with_params()
    rows = fetch(f"{_patient_groups_sql(sql, scope, horizon)} UNION ALL SELECT 'reaction', g.duration, g.resolved, "
                 f"g.n, 0, 0, 0, 0, 0, 0, g.severity FROM ({r_sql}) g", (*sql_params, *r_params))
    groups = _named_groups(rows)
    return (PatientGroups(groups["entry"], groups["time_to_first_isr"], groups["first_isr_day"]), groups["reaction"],
            {"patients_and_reactions_sql": round(time.perf_counter() - started, 6)})


def duration_groups(groups: list[ReactionGroup]) -> list[DurationGroup]:
    """Reaction groups with severities merged."""
    merged = {}
    for group in groups:
        key = (group.duration_days, group.resolved)
        merged[key] = merged.get(key, 0) + group.reactions
    return [DurationGroup(d, e, n) for (d, e), n in sorted(merged.items())]


def severity_totals(groups: list[ReactionGroup]) -> dict:
    counts = {code: 0 for code in Severity.values}
    for group in groups:
        counts[group.severity] = counts.get(group.severity, 0) + group.reactions
    return counts


# --- the summaries' and dashboard's groupings ------------------------------------------------------

def _with_isr(scope: Scope):
    return Exists(rules.reactions_of_exposed(scope).filter(patient_id=OuterRef("pk")))


def _first_period(scope: Scope):
    return rules.counted_periods(scope).filter(patient_id=OuterRef("pk")).order_by("start_date", "pk")


INCIDENCE_GROUPINGS = ("site", "first_month", "first_dose")


def _grouped_patients(scope: Scope, by: str):
    """Exposed patients with a `key` for the grouping and a `has_isr` flag."""
    patients = rules.exposed_patients(scope).annotate(has_isr=_with_isr(scope))
    if by == "site":
        return patients.annotate(key=F("site__code"))
    if by == "first_month":
        first_start = Subquery(_first_period(scope).values("start_date")[:1], output_field=DateField())
        return patients.annotate(key=TruncMonth(first_start, output_field=DateField()))
    if by == "first_dose":
        return patients.annotate(key=Subquery(_first_period(scope).values("dose_mg_per_day")[:1]))
    raise ValueError(f"Unknown grouping {by!r}")


_KEY_FROM_TEXT = {"site": str, "first_month": lambda text: date.fromisoformat(text[:10]), "first_dose": Decimal}


def incidence_groups(scope: Scope, groupings=INCIDENCE_GROUPINGS) -> dict[str, list[Incidence]]:
    """Exposed patients and patients with ISR grouped by "site" (code), "first_month" (month of the first counted
    period) and "first_dose" (its dose): {grouping: [Incidence(key, …)] sorted by key}, in one statement."""
    parts, params = [], []
    for by in groupings:
        grouped = (_grouped_patients(scope, by).values("key")
                   .annotate(exposed=Count("pk"), with_isr=Count("pk", filter=Q(has_isr=True))).order_by())
        sql, sql_params = grouped.query.sql_with_params()
        parts.append(f"SELECT '{by}', CAST(g.key AS TEXT), g.exposed, g.with_isr FROM ({sql}) g")
        params.extend(sql_params)
    groups = {by: [] for by in groupings}
    for by, key, exposed, with_isr in fetch(" UNION ALL ".join(parts), params):
        groups[by].append(Incidence(None if key is None else _KEY_FROM_TEXT[by](key), int(exposed), int(with_isr)))
    return {by: sorted(rows, key=lambda row: (row.key is None, row.key or 0)) for by, rows in groups.items()}


def incidence(scope: Scope) -> Incidence:
    """All exposed patients and those with at least one counted ISR (key None)."""
    counts = rules.exposed_patients(scope).annotate(has_isr=_with_isr(scope)).aggregate(
        exposed=Count("pk"), with_isr=Count("pk", filter=Q(has_isr=True)))
    return Incidence(None, counts["exposed"], counts["with_isr"])


def reaction_counts(scope: Scope) -> ReactionCounts:
    """Every per-reaction count of the summaries in one aggregate over the counted reactions."""
    resolved, days = resolved_by(scope.as_of), observed_days(scope.as_of)
    moderate_or_severe = (Severity.MODERATE, Severity.SEVERE)
    counts = rules.counted_reactions(scope).annotate(days=days).aggregate(
        total=Count("pk"),
        **{f"severity_{level.value}": Count("pk", filter=Q(severity=level)) for level in Severity},
        not_graded=Count("pk", filter=Q(ctcae_grade__isnull=True)),
        **{f"grade_{grade.value}": Count("pk", filter=Q(ctcae_grade=grade)) for grade in CtcaeGrade},
        **{f"symptom_{symptom.value}": Count("pk", filter=Q(**contains_code("symptoms", symptom.value)))
           for symptom in Symptom},
        under_14=Count("pk", filter=resolved & Q(days__lt=14)),
        from_14_to_28=Count("pk", filter=resolved & Q(days__gte=14, days__lte=28)),
        over_28=Count("pk", filter=resolved & Q(days__gt=28)),
        ongoing=Count("pk", filter=~resolved),
        patients=Count("patient", distinct=True),
        patients_moderate_or_severe=Count("patient", distinct=True, filter=Q(severity__in=moderate_or_severe)),
        patients_severe=Count("patient", distinct=True, filter=Q(severity=Severity.SEVERE)),
    )
    return ReactionCounts(
        total=counts["total"],
        by_severity={level.value: counts[f"severity_{level.value}"] for level in Severity},
        by_grade={grade.value: counts[f"grade_{grade.value}"] for grade in CtcaeGrade},
        not_graded=counts["not_graded"],
        by_symptom={symptom.value: counts[f"symptom_{symptom.value}"] for symptom in Symptom},
        under_14=counts["under_14"], from_14_to_28=counts["from_14_to_28"], over_28=counts["over_28"],
        ongoing=counts["ongoing"], patients=counts["patients"],
        patients_moderate_or_severe=counts["patients_moderate_or_severe"], patients_severe=counts["patients_severe"])


def duration_histogram(scope: Scope) -> list[DurationGroup]:
    """Resolved durations, and ongoing ones censored at D: the Kaplan–Meier input."""
    return sorted(DurationGroup(int(row["days"]), bool(row["resolved"]), row["n"]) for row in _durations(scope))


def _durations(scope: Scope):
    return (rules.counted_reactions(scope)
            .annotate(resolved=Case(When(resolved_by(scope.as_of), then=Value(1)), default=Value(0),
                                    output_field=IntegerField()),
                      days=observed_days(scope.as_of))
            .values("days", "resolved").annotate(n=Count("pk")).order_by())


def exposure_counts(scope: Scope) -> ExposureCounts:
    """Exposed patients by cumulative exposure days (the sum of their counted periods, gaps excluded)."""
    period_days = clipped_end_day(scope.as_of) - DayNumber("start_date") + 1
    # GROUP BY patient inside, COUNT ... FILTER outside: Django wraps the grouped query in a subquery.
    counts = (rules.counted_periods(scope).values("patient").annotate(exposure_days=Sum(period_days)).order_by()
              .aggregate(n=Count("patient"),
                         six=Count("patient", filter=Q(exposure_days__gte=SIX_MONTHS_DAYS)),
                         twelve=Count("patient", filter=Q(exposure_days__gte=TWELVE_MONTHS_DAYS)),
                         days=Sum("exposure_days")))
    return ExposureCounts(counts["n"], counts["six"], counts["twelve"], counts["days"] or 0)


class KeyFigureCounts(NamedTuple):
    incidence: Incidence
    severity: PatientSeverity
    durations: list
    onsets: list


def _one_row(queryset, **aggregates):
    """The SQL of `queryset.aggregate(**aggregates)` as a one-row query (grouped by a constant)."""
    return queryset.annotate(_all=Value(1)).values("_all").annotate(**aggregates).values(*aggregates).order_by() \
        .query.sql_with_params()


def key_figure_counts(scope: Scope, onsets_since: date) -> KeyFigureCounts:
    """The dashboard's counts in one statement: incidence, patients by worst severity, durations (as of D) and
    monthly onsets from `onsets_since`."""
    incidence_sql = _one_row(rules.exposed_patients(scope).annotate(has_isr=_with_isr(scope)),
                             exposed=Count("pk"), with_isr=Count("pk", filter=Q(has_isr=True)))
    severity_sql = _one_row(rules.counted_reactions(scope), patients=Count("patient", distinct=True),
                            severe=Count("patient", distinct=True, filter=Q(severity=Severity.SEVERE)))
    durations_sql = _durations(scope).query.sql_with_params()
    onsets_sql = _monthly_onsets(scope, onsets_since).annotate(day=DayNumber("month")) \
        .values("day", "reactions", "patients").query.sql_with_params()
    sql = (f"SELECT 'incidence', i.exposed, i.with_isr, 0 FROM ({incidence_sql[0]}) i "
           f"UNION ALL SELECT 'severity', s.patients, s.severe, 0 FROM ({severity_sql[0]}) s "
           f"UNION ALL SELECT 'duration', d.days, d.resolved, d.n FROM ({durations_sql[0]}) d "
           f"UNION ALL SELECT 'onset', m.day, m.reactions, m.patients FROM ({onsets_sql[0]}) m")
    incidence, severity, histogram, onsets = Incidence(None, 0, 0), PatientSeverity(0, 0), [], []
    params = (*incidence_sql[1], *severity_sql[1], *durations_sql[1], *onsets_sql[1])
    for kind, a, b, c in fetch(sql, params):
        if kind == "incidence":
            incidence = Incidence(None, int(a), int(b))
        elif kind == "severity":
            severity = PatientSeverity(int(a), int(b))
        elif kind == "duration":
            histogram.append(DurationGroup(int(a), bool(b), int(c)))
        else:
            onsets.append(MonthlyOnsets(EPOCH + timedelta(days=int(a)), int(b), int(c)))
    return KeyFigureCounts(incidence, severity, sorted(histogram), sorted(onsets))


def monthly_onsets(scope: Scope, since: date) -> list[MonthlyOnsets]:
    """Counted reactions and patients per calendar month of onset, from `since` to D."""
    return [MonthlyOnsets(row["month"], row["reactions"], row["patients"])
            for row in _monthly_onsets(scope, since).order_by("month")]


def _monthly_onsets(scope: Scope, since: date):
    return (rules.counted_reactions(scope).filter(onset_date__gte=since)
            .annotate(month=TruncMonth("onset_date", output_field=DateField()))
            .values("month").annotate(reactions=Count("pk"), patients=Count("patient", distinct=True)).order_by())
