"""Reads for aggregate reports: the ISR profile of a product, counted by the database.

Every figure comes from aggregates and GROUP BY queries; Python only sees a handful of
totals and grouped (value, count) rows whose number is bounded by the number of distinct
days, never by the number of reactions. Dates are turned into integer day numbers in SQL
(`DayNumber`) so that date arithmetic means the same on SQLite and PostgreSQL.
"""
import calendar
import hashlib
import json
import time
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Case, Count, Exists, F, IntegerField, Max, Min, OuterRef, Q, Subquery, Sum, Value, When
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce, Least

from apps.exposures.models import ExposurePeriod
from apps.products.models import Product, ReferenceProfile
from apps.reactions.choices import Severity
from apps.reactions.models import InjectionSiteReaction

from apps.cohort import statistics
from .models import AggregateReport, MonitoredMeasure, MonitoringPlan, ReportStatus
from apps.cohort.sql import EPOCH, DayNumber, day_number


DAYS_PER_YEAR = 365.25
SIX_MONTHS_DAYS = 183
TWELVE_MONTHS_DAYS = 365
ALPHA = 0.05
RMEAN_TAU_DAYS = 365

RESULT_KEYS = (
    "product", "as_of", "reference_incidence", "reference_mild_moderate_share", "reference_source",
    "risk_window_days", "follow_up_horizon_days",
    "exposed_patients", "exposed_6_months", "exposed_12_months", "exposure_patient_years", "isr_events",
    "late_onset_reactions", "patients_with_isr", "isr_incidence", "isr_incidence_ci95", "incidence_p_value",
    "horizon_cohort_patients", "horizon_patients_with_isr", "horizon_incidence", "horizon_incidence_ci95",
    "horizon_incidence_p_value", "horizon_mild_moderate_patients", "horizon_mild_moderate_share",
    "horizon_mild_moderate_ci95", "horizon_mild_moderate_p_value", "incidence_at_horizon_km",
    "incidence_at_horizon_km_ci95", "patient_years_at_risk", "eair_per_100py", "eair_ci95", "eaer_per_100py",
    "eaer_ci95", "mild_moderate_share", "mild_moderate_ci95", "mild_moderate_p_value", "resolved_reactions",
    "ongoing_reactions", "duration_days_mean", "duration_days_median_km", "duration_days_rmean_km",
    "duration_days_rmean_se", "duration_within_reference_share", "reference_duration_days",
    "time_to_first_isr_median_km",
)


def definitions(window: int, horizon: int | None) -> list[tuple[str, str]]:
    """Each rule the report applies, in words, with this report's W and h: the page's definitions panel."""
    h = f"h = {horizon}" if horizon is not None else "h (the primary profile has none: horizon figures are empty)"
    return [
        ("As of date D", "Exposure is clipped to D (ongoing or later end counts as D); periods starting after D are "
                         "ignored. Days are inclusive: start and end both count."),
        ("Filters", "Site, dose and exposure start range select exposure periods (a dose = periods at that dose; "
                    "the start range = periods starting within it). A reaction belongs to the patient's latest "
                    "period starting on or before its onset; with a dose or start-range filter only reactions "
                    "belonging to a selected period count. Every figure below follows the same rules whatever "
                    "the filter."),
        ("Exposed patients", "Patients with a selected exposure period starting on or before D; 6 and 12 months "
                             "mean at least 183 and 365 cumulative exposure days."),
        ("Exposure (patient-years)", "Sum of every patient's exposure days divided by 365.25."),
        ("Attributable reactions", f"The product's injection-site reactions of exposed patients, not voided, with "
                                   f"onset on or before D inside one of the patient's live exposure periods to the "
                                   f"product or at most W = {window} days after such a period's end (the product's "
                                   f"risk window). Every figure except the late onsets counts only these."),
        ("Late onsets", f"Reactions of exposed patients with onset on or before D more than W = {window} days "
                        f"after every exposure period ended: counted apart and excluded from every other figure."),
        ("Crude ISR incidence", "Patients with at least one attributable ISR / exposed patients; 95% CI "
                                "Clopper–Pearson exact; nominal p: exact two-sided binomial test against the "
                                "reference incidence."),
        ("Crude mild/moderate share", "Among patients with an attributable ISR, the share whose most severe one is "
                                      "mild or moderate; Clopper–Pearson CI and nominal exact binomial p."),
        ("Horizon cohort", f"With the profile's follow-up horizon {h} days: exposed patients whose first exposure "
                           f"start ≤ D − h + 1, so that each had h days of possible follow-up by D, whatever "
                           f"happened to them, as in a trial's treated population."),
        ("Horizon incidence", "Of the horizon cohort, those with an attributable ISR with onset ≤ first start + h − 1; "
                              "Clopper–Pearson CI, nominal exact binomial p against the reference incidence."),
        ("Horizon mild/moderate share", "Of those, the share whose worst attributable ISR within the horizon is "
                                        "mild or moderate; Clopper–Pearson CI, nominal exact binomial p."),
        ("Incidence at the horizon (Kaplan–Meier)", "1 − S(h) of the time to first ISR below; 95% CI from the "
                                                    "log-scale interval of S (R summary(survfit(...), times = h), "
                                                    "conf.type \"log\"). Empty when h is beyond the last time."),
        ("EAIR", "Exposure-adjusted incidence rate: 100 × patients with an attributable ISR / patient-years at "
                 "risk, a patient's time at risk being their exposure days up to and including the first ISR "
                 "onset (all exposure days if none); exact Poisson 95% CI."),
        ("EAER", "Exposure-adjusted event rate: 100 × attributable ISR events (repeats included) / exposure "
                 "patient-years; exact Poisson 95% CI."),
        ("Time to first ISR", f"(First attributable ISR onset − first exposure start) + 1 days; a patient without "
                              f"one is censored at (min(D, last period end + W) − first start) + 1, an ongoing "
                              f"period ending at D; Kaplan–Meier median as R's survfit prints it."),
        ("Duration", "Resolved by D: (resolution − onset) + 1 days; otherwise censored at (D − onset) + 1. The mean "
                     "is over resolved ISRs only (biased short, kept for reference); the Kaplan–Meier restricted "
                     "mean up to 365 days and its standard error are R's print(survfit(...), rmean = 365); the "
                     "median follows R's printed rule (the midpoint when S(t) = 0.5 exactly on an interval)."),
        ("Verdicts", "On the primary profile. Incidence and mild/moderate share: on the horizon figures when the "
                     "profile has a horizon, on the crude ones otherwise; consistent when the nominal p ≥ 0.05, "
                     "otherwise higher or lower. Duration: longer when rmean − 1.96·se > the range's upper end, "
                     "shorter when rmean + 1.96·se < its lower end, else consistent. Nominal p-values are not "
                     "corrected for repeated looks: alerts come only from the monitoring plan."),
        ("Sequential monitoring", "A look is a scheduled report on or after the plan's start date. At look k: n_k = "
                                  "horizon cohort (for the mild/moderate share: its patients with an ISR), x_k the "
                                  "events, information fraction t_k = min(1, horizon cohort / N max) (a look with "
                                  "no new patients is skipped), z_k = (x_k − n_k p0) / √(n_k p0 (1 − p0)), "
                                  "critical value c_k from the Lan–DeMets spending function at t_1…t_k by "
                                  "recursive numerical integration. The plan signals higher when z_k ≥ c_k, lower "
                                  "when z_k ≤ −c_k, at the first crossing; only a crossing alerts."),
    ]


@dataclass(frozen=True)
class ReportParams:
    product: Product
    as_of: date
    reference_profile: ReferenceProfile
    site_id: int | None = None
    dose_mg_per_day: Decimal | None = None
    exposure_start_from: date | None = None
    exposure_start_to: date | None = None

    @classmethod
    def of_report(cls, report: AggregateReport) -> "ReportParams":
        return cls(product=report.product, as_of=report.as_of, reference_profile=report.reference_profile,
                   site_id=report.site_id, dose_mg_per_day=report.dose_mg_per_day,
                   exposure_start_from=report.exposure_start_from, exposure_start_to=report.exposure_start_to)

    @property
    def attributes_reactions_to_periods(self):
        return self.dose_mg_per_day is not None or self.exposure_start_from is not None \
            or self.exposure_start_to is not None

    @property
    def risk_window_days(self) -> int:
        return self.product.risk_window_days

    def canonical(self) -> dict:
        return {
            "risk_window_days": self.risk_window_days,
            "product": self.product.code, "as_of": self.as_of.isoformat(), "site_id": self.site_id,
            "dose_mg_per_day": None if self.dose_mg_per_day is None else str(Decimal(self.dose_mg_per_day).normalize()),
            "exposure_start_from": self.exposure_start_from and self.exposure_start_from.isoformat(),
            "exposure_start_to": self.exposure_start_to and self.exposure_start_to.isoformat(),
            "reference_profile_id": self.reference_profile.pk,
        }

    def key(self) -> str:
        return hashlib.sha256(json.dumps(self.canonical(), sort_keys=True).encode()).hexdigest()


# --- the filtered rows -------------------------------------------------------------------------

def selected_periods(params: ReportParams):
    """Live exposure periods of live patients that the report covers."""
    periods = ExposurePeriod.objects.filter(
        product_id=params.product.pk, voided_at__isnull=True, patient__voided_at__isnull=True,
        start_date__lte=params.as_of)
    if params.site_id is not None:
        periods = periods.filter(patient__site_id=params.site_id)
    if params.dose_mg_per_day is not None:
        periods = periods.filter(dose_mg_per_day=params.dose_mg_per_day)
    if params.exposure_start_from is not None:
        periods = periods.filter(start_date__gte=params.exposure_start_from)
    if params.exposure_start_to is not None:
        periods = periods.filter(start_date__lte=params.exposure_start_to)
    return periods.order_by()


def _reactions(params: ReportParams, attributable: bool | None = True):
    """The counted reactions' own conditions (product, not voided, onset by D, owning period selected when the
    filters attribute reactions to periods, and attributable: onset in a live exposure period of the patient to
    the product or at most W days after its end), without "of an exposed patient": a LEFT JOIN from the exposed
    patients applies that more cheaply than a semi-join over a million rows. `attributable` False gives the
    late onsets, None both."""
    reactions = InjectionSiteReaction.objects.filter(
        product_id=params.product.pk, voided_at__isnull=True, onset_date__lte=params.as_of)
    if params.attributes_reactions_to_periods:
        owning_period = (ExposurePeriod.objects
                         .filter(patient_id=OuterRef("patient_id"), product_id=params.product.pk,
                                 voided_at__isnull=True, start_date__lte=OuterRef("onset_date"))
                         .order_by("-start_date").values("id")[:1])
        reactions = reactions.alias(period_id=Subquery(owning_period)).filter(
            period_id__in=selected_periods(params).values("id"))
    if attributable is not None:
        covering = (ExposurePeriod.objects
                    .filter(patient_id=OuterRef("patient_id"), product_id=params.product.pk, voided_at__isnull=True,
                            start_date__lte=OuterRef("onset_date"))
                    .alias(window_end_day=DayNumber("end_date") + params.risk_window_days)
                    .filter(Q(end_date__isnull=True) | Q(window_end_day__gte=DayNumber(OuterRef("onset_date")))))
        reactions = reactions.filter(Exists(covering) if attributable else ~Exists(covering))
    return reactions.order_by()


def counted_reactions(params: ReportParams):
    """The reactions the report counts: attributable ones of exposed patients (see definitions())."""
    return _reactions(params).filter(patient_id__in=selected_periods(params).values("patient_id"))


def late_onset_reactions(params: ReportParams):
    """Reactions of exposed patients with onset by D more than W days after every exposure period ended."""
    return _reactions(params, attributable=False).filter(
        patient_id__in=selected_periods(params).values("patient_id"))


def reactions_by_date(params: ReportParams):
    """Counted and late-onset reactions together: what the data fingerprint reads."""
    return _reactions(params, attributable=None).filter(
        patient_id__in=selected_periods(params).values("patient_id"))


def _clipped_end(as_of_day):
    return Least(Coalesce(DayNumber("end_date"), Value(as_of_day)), Value(as_of_day), output_field=IntegerField())


def _fetch(sql, params):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _first_isr_sql(params: ReportParams):
    """SQL of one row per patient with an ISR that counts if the patient is exposed (the caller's LEFT JOIN
    from the exposed patients keeps only those): first onset day and first severe onset day (NULL if none)."""
    # A site's report keeps the semi-join: it narrows a million reactions to the site's few.
    reactions = counted_reactions(params) if params.site_id is not None else _reactions(params)
    per_patient = (reactions.values("patient_id")
                   .annotate(first_onset_day=DayNumber(Min("onset_date")),  # one date conversion per patient
                             first_severe_day=DayNumber(Min(Case(When(severity=Severity.SEVERE, then=F("onset_date")),
                                                                 default=None))))
                   .order_by())
    return per_patient.query.sql_with_params()


def _per_patient_sql(params: ReportParams):
    """SQL of one row per exposed patient: exposure days, days at risk (exposure days up to and including the
    first ISR onset), first start day, last exposure day and, from the counted ISRs, the first onset day and
    the first severe onset day (NULL when the patient has none)."""
    as_of_day = day_number(params.as_of)
    periods = (selected_periods(params)
               .annotate(start_day=DayNumber("start_date"), end_day=_clipped_end(as_of_day))
               .values("patient_id", "start_day", "end_day"))
    q_sql, q_params = periods.query.sql_with_params()
    r_sql, r_params = _first_isr_sql(params)
    sql = ("SELECT q.patient_id, SUM(q.end_day - q.start_day + 1) AS exposure_days, "
           "SUM(CASE WHEN r.first_onset_day IS NULL OR q.end_day < r.first_onset_day THEN q.end_day - q.start_day + 1 "
           "WHEN q.start_day > r.first_onset_day THEN 0 ELSE r.first_onset_day - q.start_day + 1 END) AS at_risk_days, "
           "MIN(q.start_day) AS first_day, MAX(q.end_day) AS last_day, MIN(r.first_onset_day) AS first_onset_day, "
           "MIN(r.first_severe_day) AS first_severe_day "
           f"FROM ({q_sql}) q LEFT JOIN ({r_sql}) r ON r.patient_id = q.patient_id GROUP BY q.patient_id")
    return sql, (*q_params, *r_params)


# --- the measures: four grouped queries --------------------------------------------------------

def _patient_groups_sql(sql: str, params: ReportParams, horizon: int | None) -> str:
    """Three groupings of the per-patient rows `sql`, computed once (a CTE used several times is materialised by
    SQLite and PostgreSQL). Columns: kind, key, event, count, a, b, c, d, e, f, severity (NULL here).

    The time to first ISR of a patient without one is censored at min(D, last exposure day + W); a first ISR
    within the horizon has onset ≤ first start + h − 1 (h = 1 when there is no horizon: the columns are unused).
    The numbers are integers from the model (W, h, D), never user text."""
    window, as_of_day, last_in_horizon = int(params.risk_window_days), day_number(params.as_of), int(horizon or 1) - 1
    return (
        f"WITH pp AS ({sql}) "
        "SELECT 'e', pp.first_day, 0, COUNT(*), SUM(pp.exposure_days), "
        f"SUM(CASE WHEN pp.exposure_days >= {SIX_MONTHS_DAYS} THEN 1 ELSE 0 END), "
        f"SUM(CASE WHEN pp.exposure_days >= {TWELVE_MONTHS_DAYS} THEN 1 ELSE 0 END), SUM(pp.at_risk_days), "
        f"SUM(CASE WHEN pp.first_onset_day <= pp.first_day + {last_in_horizon} THEN 1 ELSE 0 END), "
        f"SUM(CASE WHEN pp.first_severe_day <= pp.first_day + {last_in_horizon} THEN 1 ELSE 0 END), NULL "
        "FROM pp GROUP BY pp.first_day "
        "UNION ALL SELECT 't', tt.t, tt.event, COUNT(*), SUM(tt.severe), 0, 0, 0, 0, 0, NULL FROM (SELECT "
        f"CASE WHEN pp.first_onset_day IS NULL THEN (CASE WHEN pp.last_day + {window} < {as_of_day} "
        f"THEN pp.last_day + {window} ELSE {as_of_day} END) - pp.first_day + 1 "
        "ELSE pp.first_onset_day - pp.first_day + 1 END AS t, "
        "CASE WHEN pp.first_onset_day IS NULL THEN 0 ELSE 1 END AS event, "
        "CASE WHEN pp.first_severe_day IS NULL THEN 0 ELSE 1 END AS severe FROM pp) tt GROUP BY tt.t, tt.event "
        "UNION ALL SELECT 'f', pp.first_onset_day, 0, COUNT(*), 0, 0, 0, 0, 0, 0, NULL FROM pp "
        "WHERE pp.first_onset_day IS NOT NULL GROUP BY pp.first_onset_day")


def _split_groups(rows) -> tuple[list, list, list, list]:
    entries, ttf, firsts, reactions = [], [], [], []
    for kind, key, event, count, a, b, c, d, e, f, severity in rows:
        if kind == "e":
            entries.append(Entry(int(key), int(count), int(a), int(b), int(c), int(d), int(e), int(f)))
        elif kind == "t":
            ttf.append((int(key), int(event), int(count), int(a)))
        elif kind == "f":
            firsts.append((int(key), int(count)))
        else:
            reactions.append((int(key), int(event), severity, int(count)))
    return sorted(entries), sorted(ttf), sorted(firsts), sorted(reactions)


@dataclass(frozen=True, order=True)
class Entry:
    """Exposed patients grouped by their first exposure day."""
    first_day: int
    patients: int
    exposure_days: int
    exposed_6_months: int
    exposed_12_months: int
    at_risk_days: int
    with_horizon_isr: int  # first counted ISR onset ≤ first start + h − 1
    with_horizon_severe: int  # a severe counted ISR within the horizon


def patient_groups(params: ReportParams) -> tuple[list, list, list]:
    """In one statement:

    - entries: Entry rows, by first exposure day;
    - time to first ISR: (days since first exposure, first ISR seen 1/0, patients, of whom with a severe ISR);
    - firsts: (day of the first counted ISR, patients).
    """
    sql, sql_params = _per_patient_sql(params)
    horizon = params.reference_profile.follow_up_horizon_days
    return _split_groups(_fetch(_patient_groups_sql(sql, params, horizon), sql_params))[:3]


def _reaction_groups(reactions, as_of: date):
    """(duration, resolved, severity, n) of `reactions`: durations, events and severities in one pass."""
    as_of_day = day_number(as_of)
    resolved = Q(resolution_date__isnull=False, resolution_date__lte=as_of)
    return (reactions
            # Resolved after D counts as ongoing: censored at D, i.e. min(resolution, D) − onset + 1 either way.
            .annotate(resolved=Case(When(resolved, then=Value(1)), default=Value(0), output_field=IntegerField()),
                      duration=Least(Coalesce(DayNumber("resolution_date"), Value(as_of_day)), Value(as_of_day),
                                     output_field=IntegerField()) - DayNumber("onset_date") + 1)
            .values("duration", "resolved", "severity").annotate(n=Count("id")).order_by()
            .values_list("duration", "resolved", "severity", "n"))


def reaction_groups(params: ReportParams) -> list[tuple[int, int, str, int]]:
    """(duration days, resolved 1/0, severity, reactions), sorted."""
    rows = _reaction_groups(counted_reactions(params), params.as_of)
    return sorted((int(d), int(e), severity, int(n)) for d, e, severity, n in rows)


def profile_groups(params: ReportParams) -> tuple[list, list, list, list, dict]:
    """patient_groups and reaction_groups, timed. On SQLite in one statement: the exposed patients are worked
    out once (the CTE) and the reactions' patient filter reads them. On PostgreSQL in two: a CTE scan cannot
    run in parallel workers, and the reactions' own semi-join does (two statements take 1.0 s at a million
    reactions, one 1.4 s)."""
    started = time.perf_counter()
    horizon = params.reference_profile.follow_up_horizon_days
    if connection.vendor != "sqlite":
        entries, ttf, firsts = patient_groups(params)
        middle = time.perf_counter()
        reactions = reaction_groups(params)
        return entries, ttf, firsts, reactions, {"patients_sql": round(middle - started, 6),
                                                 "reactions_sql": round(time.perf_counter() - middle, 6)}
    sql, sql_params = _per_patient_sql(params)
    exposed = _reactions(params).filter(patient_id__in=RawSQL("SELECT pp.patient_id FROM pp", ()))
    r_sql, r_params = _reaction_groups(exposed, params.as_of).query.sql_with_params()
    rows = _fetch(f"{_patient_groups_sql(sql, params, horizon)} UNION ALL SELECT 'd', g.duration, g.resolved, g.n, "
                  f"0, 0, 0, 0, 0, 0, g.severity FROM ({r_sql}) g", (*sql_params, *r_params))
    return (*_split_groups(rows), {"patients_and_reactions_sql": round(time.perf_counter() - started, 6)})


def duration_groups(groups) -> list[tuple[int, int, int]]:
    """(duration, resolved, reactions) from reaction_groups, severities merged."""
    merged = {}
    for duration, resolved, _, count in groups:
        merged[(duration, resolved)] = merged.get((duration, resolved), 0) + count
    return [(d, e, n) for (d, e), n in sorted(merged.items())]


def severity_counts(groups) -> dict:
    counts = {code: 0 for code in Severity.values}
    for _, _, severity, count in groups:
        counts[severity] = counts.get(severity, 0) + count
    return counts


def data_fingerprint(params: ReportParams) -> tuple[str, dict]:
    """What the report read, summarised in SQL: counts, id sums and last changes of the filtered rows
    plus the reference figures. Equal fingerprints mean the report would come out the same."""
    periods = selected_periods(params).aggregate(
        n=Count("id"), ids=Sum("id"), updated=Max("updated_at"), patients_updated=Max("patient__updated_at"))
    reactions = reactions_by_date(params).aggregate(n=Count("id"), ids=Sum("id"), updated=Max("updated_at"))
    parts = {
        "periods": {key: _jsonable(value) for key, value in periods.items()},
        "reactions": {key: _jsonable(value) for key, value in reactions.items()},
        "reference": reference_figures(params.reference_profile),
        "current_profiles": [reference_figures(profile) for profile in params.product.current_reference_profiles()],
        "risk_window_days": params.risk_window_days,
    }
    digest = hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()
    return digest, parts


def _jsonable(value):
    if value is None or isinstance(value, (int, float, str, list, dict)):
        return value
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def reference_figures(profile: ReferenceProfile) -> dict:
    """A copy of the profile's figures, kept in the snapshot whatever happens to the profile later."""
    fields = ("label", "source_citation", "source_url", "source_document", "effective_date", "isr_incidence",
              "isr_incidence_n", "comparator_incidence", "mild_moderate_share", "mild_moderate_n",
              "duration_min_days", "duration_max_days", "safety_database_patients", "exposed_6_months",
              "exposed_12_months", "dose_mg_per_day", "follow_up_horizon_days", "comparator_n",
              "event_rates_per_100py", "is_primary")
    return {"id": profile.pk, **{name: _jsonable(getattr(profile, name)) for name in fields}}


def reference_history_id(profile: ReferenceProfile):
    latest = profile.history.order_by("-history_id").values_list("history_id", flat=True).first()
    return latest


@contextmanager
def consistent_read():
    """One snapshot for all queries where that costs nothing: a REPEATABLE READ, READ ONLY transaction
    on PostgreSQL. SQLite transactions here take the write lock (IMMEDIATE), so reads stay in autocommit."""
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            yield
    else:
        with nullcontext():
            yield


@contextmanager
def without_jit():
    """On PostgreSQL, JIT compilation off for the report's statements. The planner cannot estimate joins of
    grouped sub-queries (it assumes 200 distinct keys), so it over-estimates them by orders of magnitude and
    spends seconds compiling (inlining and optimising) statements that then run in well under a second.
    SET LOCAL lasts until the end of the transaction: the previous value comes back on the way out."""
    if connection.vendor != "postgresql":
        yield
        return
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_setting('jit')")
            previous = cursor.fetchone()[0]
            cursor.execute("SET LOCAL jit = off")
        try:
            yield
        finally:
            if connection.in_atomic_block and not connection.needs_rollback:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT set_config('jit', %s, true)", [previous])


# --- assembling the report ---------------------------------------------------------------------

def _share(k, n):
    return k / n if n else None


def _to_float(value):
    return None if value is None else float(value)


def _interval(pair, scale=1.0):
    return None if pair is None else [pair[0] * scale, pair[1] * scale]


def _proportion(k, n, reference):
    """(share, Clopper–Pearson CI, exact binomial p against `reference`) of k in n."""
    return (_share(k, n), _interval(statistics.clopper_pearson(k, n)),
            statistics.binomial_test_p(k, n, reference) if n else None)


def horizon_figures(entries: list, as_of: date, horizon: int | None, ref_incidence, ref_mild) -> dict:
    """The horizon cohort's figures: patients whose first exposure start ≤ D − h + 1 (h days of possible
    follow-up by D), those with a counted ISR by first start + h − 1, and the worst of those ISRs."""
    if horizon is None:
        return {key: None for key in HORIZON_KEYS}
    last_entry_day = day_number(as_of) - horizon + 1
    cohort = [entry for entry in entries if entry.first_day <= last_entry_day]
    patients = sum(entry.patients for entry in cohort)
    with_isr = sum(entry.with_horizon_isr for entry in cohort)
    mild_moderate = with_isr - sum(entry.with_horizon_severe for entry in cohort)
    incidence, incidence_ci, incidence_p = _proportion(with_isr, patients, ref_incidence)
    share, share_ci, share_p = _proportion(mild_moderate, with_isr, ref_mild)
    return {
        "horizon_cohort_patients": patients, "horizon_patients_with_isr": with_isr,
        "horizon_incidence": incidence, "horizon_incidence_ci95": incidence_ci,
        "horizon_incidence_p_value": incidence_p, "horizon_mild_moderate_patients": mild_moderate,
        "horizon_mild_moderate_share": share, "horizon_mild_moderate_ci95": share_ci,
        "horizon_mild_moderate_p_value": share_p,
    }


HORIZON_KEYS = ("horizon_cohort_patients", "horizon_patients_with_isr", "horizon_incidence", "horizon_incidence_ci95",
                "horizon_incidence_p_value", "horizon_mild_moderate_patients", "horizon_mild_moderate_share",
                "horizon_mild_moderate_ci95", "horizon_mild_moderate_p_value")


def isr_profile(params: ReportParams) -> tuple[dict, dict, dict]:
    """(results, details, timings) of the report. `results` holds exactly RESULT_KEYS."""
    timings = {}
    clock = time.perf_counter()

    def lap(name):
        nonlocal clock
        now = time.perf_counter()
        timings[name] = round(now - clock, 6)
        clock = now

    profile = params.reference_profile
    horizon = profile.follow_up_horizon_days
    with without_jit():
        entries, ttf_full, firsts, reactions, sql_timings = profile_groups(params)
        late_onsets = late_onset_reactions(params).count()
    timings.update(sql_timings)
    lap("sql")

    durations = duration_groups(reactions)
    severities = severity_counts(reactions)
    ttf = [(t, e, n) for t, e, n, _ in ttf_full]
    exposed = sum(entry.patients for entry in entries)
    patient_years = sum(entry.exposure_days for entry in entries) / DAYS_PER_YEAR
    years_at_risk = sum(entry.at_risk_days for entry in entries) / DAYS_PER_YEAR
    events = sum(n for _, _, _, n in reactions)
    with_isr = sum(n for _, e, n, _ in ttf_full if e)
    mild_moderate = with_isr - sum(severe for _, _, _, severe in ttf_full)
    ref_incidence = _to_float(profile.isr_incidence)
    ref_mild = _to_float(profile.mild_moderate_share)
    ref_range = ([profile.duration_min_days, profile.duration_max_days]
                 if profile.duration_min_days is not None else None)

    resolved = [(d, n) for d, e, n in durations if e]
    resolved_count = sum(n for _, n in resolved)
    ongoing_count = sum(n for d, e, n in durations if not e)
    within = (sum(n for d, n in resolved if ref_range[0] <= d <= ref_range[1])
              if ref_range and resolved_count else None)
    km_args = ([d for d, _, _ in durations], [e for _, e, _ in durations], [n for _, _, n in durations])
    ttf_args = ([t for t, _, _ in ttf], [e for _, e, _ in ttf], [n for _, _, n in ttf])
    rmean = statistics.km_restricted_mean(*km_args, tau=RMEAN_TAU_DAYS)
    km_incidence = (statistics.cumulative_incidence_at(*ttf_args, time=horizon)
                    if horizon is not None and ttf else None)
    incidence, incidence_ci, incidence_p = _proportion(with_isr, exposed, ref_incidence)
    share, share_ci, share_p = _proportion(mild_moderate, with_isr, ref_mild)

    results = {
        "product": params.product.code,
        "as_of": params.as_of.isoformat(),
        "reference_incidence": ref_incidence,
        "reference_mild_moderate_share": ref_mild,
        "reference_source": profile.source_citation,
        "risk_window_days": params.risk_window_days,
        "follow_up_horizon_days": horizon,
        "exposed_patients": exposed,
        "exposed_6_months": sum(entry.exposed_6_months for entry in entries),
        "exposed_12_months": sum(entry.exposed_12_months for entry in entries),
        "exposure_patient_years": patient_years,
        "isr_events": events,
        "late_onset_reactions": late_onsets,
        "patients_with_isr": with_isr,
        "isr_incidence": incidence,
        "isr_incidence_ci95": incidence_ci,
        "incidence_p_value": incidence_p,
        **horizon_figures(entries, params.as_of, horizon, ref_incidence, ref_mild),
        "incidence_at_horizon_km": None if km_incidence is None else km_incidence[0],
        "incidence_at_horizon_km_ci95": (None if km_incidence is None or km_incidence[1] is None
                                         else [km_incidence[1], km_incidence[2]]),
        "patient_years_at_risk": years_at_risk,
        "eair_per_100py": 100 * with_isr / years_at_risk if years_at_risk else None,
        "eair_ci95": _interval(statistics.poisson_rate_ci(with_isr, years_at_risk), 100) if years_at_risk else None,
        "eaer_per_100py": 100 * events / patient_years if patient_years else None,
        "eaer_ci95": _interval(statistics.poisson_rate_ci(events, patient_years), 100) if patient_years else None,
        "mild_moderate_share": share,
        "mild_moderate_ci95": share_ci,
        "mild_moderate_p_value": share_p,
        "resolved_reactions": resolved_count,
        "ongoing_reactions": ongoing_count,
        "duration_days_mean": (sum(d * n for d, n in resolved) / resolved_count) if resolved_count else None,
        "duration_days_median_km": _to_float(statistics.km_median(*km_args)),
        "duration_days_rmean_km": None if rmean is None else rmean[0],
        "duration_days_rmean_se": None if rmean is None else rmean[1],
        "duration_within_reference_share": _share(within, resolved_count) if within is not None else None,
        "reference_duration_days": ref_range,
        "time_to_first_isr_median_km": _to_float(statistics.km_median(*ttf_args)),
    }
    assert tuple(results) == RESULT_KEYS
    lap("statistics")

    details = {
        "verdicts": verdicts(results),
        "severity_counts": severities,
        "mild_moderate_patients": mild_moderate,
        "duration_km": [[t, s] for t, s in statistics.kaplan_meier(*km_args)],
        "duration_groups": durations,
        "time_to_first_isr_km": [[t, s] for t, s in statistics.kaplan_meier(*ttf_args)],
        "time_to_first_isr_max_days": max((t for t, _, _ in ttf), default=0),
        "duration_max_days": max((d for d, _, _ in durations), default=0),
        "monthly_incidence": monthly_incidence([(e.first_day, e.patients) for e in entries], firsts, params.as_of),
        "profile_comparisons": profile_comparisons(params, results, entries, mild_moderate),
        "definitions": definitions(params.risk_window_days, horizon),
    }
    lap("series")
    return results, details, timings


def verdicts(results: dict) -> dict:
    """Verdicts against the primary profile: on the horizon figures when it has a horizon, the crude ones
    otherwise (nominal p at 0.05); the duration on the restricted mean's interval against the range."""
    on_horizon = results.get("follow_up_horizon_days") is not None
    if on_horizon:
        incidence_key, incidence_p = "horizon_incidence", "horizon_incidence_p_value"
        share_key, share_p = "horizon_mild_moderate_share", "horizon_mild_moderate_p_value"
    else:
        incidence_key, incidence_p = "isr_incidence", "incidence_p_value"
        share_key, share_p = "mild_moderate_share", "mild_moderate_p_value"
    reference = results.get("reference_duration_days") or (None, None)
    return {
        "basis": "horizon" if on_horizon else "crude",
        "isr_incidence": statistics.verdict(results[incidence_p], results[incidence_key],
                                            results["reference_incidence"], alpha=ALPHA),
        "mild_moderate_share": statistics.verdict(results[share_p], results[share_key],
                                                  results["reference_mild_moderate_share"], alpha=ALPHA),
        "duration_days_rmean_km": statistics.range_verdict(results.get("duration_days_rmean_km"),
                                                           results.get("duration_days_rmean_se"), *reference),
    }


def profile_comparisons(params: ReportParams, results: dict, entries: list, mild_moderate: int) -> list[dict]:
    """Observed figures against each current profile of the product, the primary first: incidence and the
    mild/moderate share on the profile's own horizon when it has one (crude otherwise), with nominal p; the
    duration range against the restricted mean; the cited event rates against the EAER."""
    comparisons = []
    for profile in params.product.current_reference_profiles():
        horizon = profile.follow_up_horizon_days
        ref_incidence, ref_mild = _to_float(profile.isr_incidence), _to_float(profile.mild_moderate_share)
        if horizon is not None:
            own = entries if horizon == results["follow_up_horizon_days"] else \
                patient_groups(replace(params, reference_profile=profile))[0]
            figures = horizon_figures(own, params.as_of, horizon, ref_incidence, ref_mild)
            incidence = (figures["horizon_incidence"], figures["horizon_incidence_ci95"],
                         figures["horizon_incidence_p_value"])
            share = (figures["horizon_mild_moderate_share"], figures["horizon_mild_moderate_ci95"],
                     figures["horizon_mild_moderate_p_value"])
            basis = f"horizon {horizon} d, n = {figures['horizon_cohort_patients']}"
        else:
            incidence = (results["isr_incidence"], results["isr_incidence_ci95"],
                         statistics.binomial_test_p(results["patients_with_isr"], results["exposed_patients"],
                                                    ref_incidence) if results["exposed_patients"] else None)
            share = (results["mild_moderate_share"], results["mild_moderate_ci95"],
                     statistics.binomial_test_p(mild_moderate, results["patients_with_isr"], ref_mild))
            basis = "crude"
        rows = []
        if ref_incidence is not None:
            rows.append({"measure": "ISR incidence", "basis": basis, "reference": ref_incidence,
                         "reference_n": profile.isr_incidence_n, "observed": incidence[0], "ci95": incidence[1],
                         "nominal_p_value": incidence[2], "is_share": True})
        if profile.comparator_incidence is not None:
            rows.append({"measure": "ISR incidence on the comparator (placebo)", "basis": "cited only",
                         "reference": _to_float(profile.comparator_incidence), "reference_n": profile.comparator_n,
                         "observed": None, "ci95": None, "nominal_p_value": None, "is_share": True})
        if ref_mild is not None:
            rows.append({"measure": "Mild/moderate share", "basis": basis, "reference": ref_mild,
                         "reference_n": profile.mild_moderate_n, "observed": share[0], "ci95": share[1],
                         "nominal_p_value": share[2], "is_share": True})
        if profile.duration_min_days is not None:
            rmean, se = results["duration_days_rmean_km"], results["duration_days_rmean_se"]
            rows.append({"measure": "ISR duration, days (restricted mean to 365 d)", "basis": "all counted ISRs",
                         "reference": [profile.duration_min_days, profile.duration_max_days], "reference_n": None,
                         "observed": rmean, "ci95": None if rmean is None else [rmean - 1.96 * se, rmean + 1.96 * se],
                         "nominal_p_value": None, "is_share": False, "is_range": True})
        for rate in profile.event_rates_per_100py:
            rows.append({"measure": f"ISR events per 100 patient-years, {rate['period']}",
                         "basis": "EAER over all exposure", "reference": rate["events_per_100py"],
                         "reference_n": rate.get("patient_years"), "observed": results["eaer_per_100py"],
                         "ci95": results["eaer_ci95"], "nominal_p_value": None, "is_share": False})
        comparisons.append({"profile_id": profile.pk, "label": profile.label, "is_primary": profile.is_primary,
                            "source_citation": profile.source_citation, "source_url": profile.source_url,
                            "follow_up_horizon_days": horizon, "rows": rows})
    return comparisons


def _month_end(year, month, as_of):
    end = date(year, month, calendar.monthrange(year, month)[1])
    return min(end, as_of)


def monthly_incidence(entries, firsts, as_of: date) -> list[dict]:
    """Cumulative incidence at each month end up to D: patients with a first ISR so far / patients exposed so far.

    The inputs are grouped by day, so the loop runs over distinct days and months, not patients."""
    if not entries:
        return []
    start = EPOCH + timedelta(days=entries[0][0])
    points, exposed, with_isr = [], 0, 0
    entry_index = first_index = 0
    year, month = start.year, start.month
    while (year, month) <= (as_of.year, as_of.month):
        end_day = day_number(_month_end(year, month, as_of))
        while entry_index < len(entries) and entries[entry_index][0] <= end_day:
            exposed += entries[entry_index][1]
            entry_index += 1
        while first_index < len(firsts) and firsts[first_index][0] <= end_day:
            with_isr += firsts[first_index][1]
            first_index += 1
        points.append({"month": f"{year:04d}-{month:02d}", "exposed": exposed, "with_isr": with_isr,
                       "incidence": _share(with_isr, exposed),
                       "ci95": _interval(statistics.clopper_pearson(with_isr, exposed))})
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return points


# --- listings ----------------------------------------------------------------------------------

def report_list(*, user):
    """The reports listing: requests and snapshots, without the requests that matched an existing snapshot."""
    return reports_visible_to(user).exclude(status=ReportStatus.DUPLICATE)


def find_snapshot(*, params_key, fingerprint):
    return AggregateReport.objects.filter(params_key=params_key, data_fingerprint=fingerprint,
                                          status=ReportStatus.DONE).first()


def latest_alerting_reports():
    """For each product, its latest scheduled snapshot when that one raised alerts: what the banner shows.

    One small query per product (a handful), never per report."""
    alerting = []
    for product_id in Product.objects.values_list("id", flat=True):
        latest = (AggregateReport.objects.filter(product_id=product_id, scheduled=True, status=ReportStatus.DONE)
                  .select_related("product").order_by("-finished_at", "-id").first())
        if latest is not None and latest.alerts:
            alerting.append(latest)
    return alerting


def reports_visible_to(user):
    """Reports a user may open: all for central staff, only their site's reports for a site-bound user."""
    reports = AggregateReport.objects.select_related("product", "site", "reference_profile", "requested_by")
    if user.site_id:
        reports = reports.filter(site_id=user.site_id)
    return reports


MEASURES = (
    # label, observed key, ci key, reference key, nominal p key
    ("ISR incidence, horizon cohort", "horizon_incidence", "horizon_incidence_ci95", "reference_incidence",
     "horizon_incidence_p_value"),
    ("ISR incidence at the horizon (Kaplan–Meier)", "incidence_at_horizon_km", "incidence_at_horizon_km_ci95",
     "reference_incidence", None),
    ("ISR incidence, crude (patients with ≥ 1 attributable ISR)", "isr_incidence", "isr_incidence_ci95",
     "reference_incidence", "incidence_p_value"),
    ("Mild/moderate share, horizon cohort (worst ISR within h)", "horizon_mild_moderate_share",
     "horizon_mild_moderate_ci95", "reference_mild_moderate_share", "horizon_mild_moderate_p_value"),
    ("Mild/moderate share, crude (worst ISR per patient)", "mild_moderate_share", "mild_moderate_ci95",
     "reference_mild_moderate_share", "mild_moderate_p_value"),
    ("EAIR per 100 patient-years at risk (first ISRs)", "eair_per_100py", "eair_ci95", None, None),
    ("EAER per 100 patient-years (all ISR events)", "eaer_per_100py", "eaer_ci95", None, None),
    ("ISR duration, days: restricted mean to 365 d (Kaplan–Meier)", "duration_days_rmean_km", None,
     "reference_duration_days", None),
    ("Median ISR duration, days (Kaplan–Meier)", "duration_days_median_km", None, None, None),
    ("Mean duration of resolved ISRs, days (resolved only)", "duration_days_mean", None, None, None),
    ("Resolved ISRs lasting within the reference range", "duration_within_reference_share", None, None, None),
    ("Median time to first ISR, days (Kaplan–Meier)", "time_to_first_isr_median_km", None, None, None),
    ("Late onsets (not attributable, excluded above)", "late_onset_reactions", None, None, None),
)
SHARE_KEYS = ("isr_incidence", "mild_moderate_share", "duration_within_reference_share", "horizon_incidence",
              "horizon_mild_moderate_share", "incidence_at_horizon_km")


# Which row carries each verdict, by the verdicts' basis.
VERDICT_ROWS = {
    "horizon": {"horizon_incidence": "isr_incidence", "horizon_mild_moderate_share": "mild_moderate_share"},
    "crude": {"isr_incidence": "isr_incidence", "mild_moderate_share": "mild_moderate_share"},
}


def measure_rows(report: AggregateReport) -> list[dict]:
    """The observed-versus-primary-reference table of a done report; each verdict sits on the row it was
    taken from (horizon or crude figures, see verdicts())."""
    results, verdict_of = report.results, report.details["verdicts"]
    verdict_rows = {**VERDICT_ROWS[verdict_of["basis"]], "duration_days_rmean_km": "duration_days_rmean_km"}
    rows = []
    for label, key, ci_key, ref_key, p_key in MEASURES:
        if key.startswith("horizon_") and results["follow_up_horizon_days"] is None:
            continue
        observed, se = results[key], results["duration_days_rmean_se"]
        if key == "duration_days_rmean_km" and observed is not None:
            ci = [observed - 1.96 * se, observed + 1.96 * se]
        else:
            ci = results[ci_key] if ci_key else None
        rows.append({"label": label, "key": key, "observed": observed, "ci": ci,
                     "reference": results[ref_key] if ref_key else None,
                     "p_value": results[p_key] if p_key else None,
                     "verdict": verdict_of.get(verdict_rows[key]) if key in verdict_rows else None,
                     "is_share": key in SHARE_KEYS})
    return rows


def report_parameters(report: AggregateReport) -> dict:
    return {
        "report_id": report.pk, "product": report.product.code, "as_of": report.as_of.isoformat(),
        "site": report.site.code if report.site_id else None,
        "dose_mg_per_day": None if report.dose_mg_per_day is None else str(report.dose_mg_per_day),
        "exposure_start_from": report.exposure_start_from and report.exposure_start_from.isoformat(),
        "exposure_start_to": report.exposure_start_to and report.exposure_start_to.isoformat(),
        "reference_profile_id": report.reference_profile_id, "scheduled": report.scheduled,
    }


def report_export(report: AggregateReport) -> dict:
    """Everything a done snapshot holds, for the JSON download."""
    return {
        "parameters": report_parameters(report),
        "reference_profile": {"id": report.reference_profile_id, "history_id": report.reference_history_id,
                              "figures": report.reference_figures},
        "data_fingerprint": report.data_fingerprint, "fingerprint_parts": report.fingerprint_parts,
        "code_version": report.code_version, "timings": report.timings,
        "requested_at": report.requested_at.isoformat(),
        "finished_at": report.finished_at and report.finished_at.isoformat(),
        "results": {key: report.results[key] for key in RESULT_KEYS}, "verdicts": report.details["verdicts"],
        **monitoring_of(report),
        "profile_comparisons": report.details["profile_comparisons"],
        "alerts": report.alerts,
        "series": {key: report.details[key] for key in ("monthly_incidence", "duration_km", "time_to_first_isr_km",
                                                        "severity_counts")},
    }


def report_csv_rows(report: AggregateReport) -> list[list]:
    """Rows of the CSV download: one per parameter and measure; intervals split into low and high."""
    rows = [["section", "key", "value", "ci95_low", "ci95_high"]]
    for key, value in report_parameters(report).items():
        rows.append(["parameter", key, value, "", ""])
    for key in RESULT_KEYS:
        value = report.results[key]
        if key.endswith("_ci95") or key == "reference_duration_days":
            low, high = value if value else ("", "")
            rows.append(["result", key, "", low, high])
        else:
            rows.append(["result", key, value, "", ""])
    for key, value in report.details["verdicts"].items():
        rows.append(["verdict", key, value, "", ""])
    monitoring = monitoring_of(report)
    for measure, looks in monitoring["monitoring_looks"].items():
        for look in looks:
            for key in ("n", "x", "information_fraction", "z", "critical_value", "cumulative_alpha_spent"):
                rows.append(["monitoring_look", f"{measure}.{look['as_of']}.{key}", look[key], "", ""])
    for measure, signal in monitoring["monitoring_signal"].items():
        rows.append(["monitoring_signal", measure, signal, "", ""])
    for comparison in report.details["profile_comparisons"]:
        for row in comparison["rows"]:
            low, high = row["ci95"] or ("", "")
            rows.append([f"profile:{comparison['label']}", f"{row['measure']} ({row['basis']}) observed",
                         row["observed"], low, high])
            reference = row["reference"]
            rows.append([f"profile:{comparison['label']}", f"{row['measure']} reference",
                         "" if isinstance(reference, list) else reference,
                         *(reference if isinstance(reference, list) else ("", ""))])
    return rows


# --- sequential monitoring ------------------------------------------------------------------------

def monitoring_plan_of(report: AggregateReport):
    """The plan a scheduled all-sites report is a look of, if any."""
    if not report.scheduled or report.site_id or report.dose_mg_per_day is not None \
            or report.exposure_start_from or report.exposure_start_to:
        return None
    return MonitoringPlan.objects.filter(product_id=report.product_id,
                                         reference_profile_id=report.reference_profile_id).first()


def monitoring_of(report: AggregateReport) -> dict:
    """`monitoring_looks` (per measure, every look so far: as_of, n, x, information_fraction, z, critical_value,
    cumulative_alpha_spent) and `monitoring_signal` (none / higher / lower, the first crossing) of a report.
    Empty for reports that are not looks of a plan."""
    plan = monitoring_plan_of(report)
    if plan is None:
        return {"monitoring_looks": {}, "monitoring_signal": {}}
    looks = {measure: [] for measure in plan.measures}
    for look in plan.looks.filter(as_of__lte=report.as_of).order_by("as_of"):
        looks.setdefault(look.measure, []).append(look.as_json())
    signal = {measure: next((look["signal"] for look in rows if look["signal"] != "none"), "none")
              for measure, rows in looks.items()}
    return {"monitoring_looks": looks, "monitoring_signal": signal}


def monitoring_sections(report: AggregateReport) -> list[dict]:
    """Per monitored measure: its label, looks so far and signal, for the page."""
    monitoring = monitoring_of(report)
    return [{"measure": measure, "label": MonitoredMeasure(measure).label, "looks": looks,
             "signal": monitoring["monitoring_signal"][measure]}
            for measure, looks in monitoring["monitoring_looks"].items()]
