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
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Case, Count, F, IntegerField, Max, Min, OuterRef, Q, Subquery, Sum, Value, When
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce, Least

from apps.exposures.models import ExposurePeriod
from apps.products.models import Product, ReferenceProfile
from apps.reactions.choices import Severity
from apps.reactions.models import InjectionSiteReaction

from apps.cohort import statistics
from .models import AggregateReport, ReportStatus
from apps.cohort.sql import EPOCH, DayNumber, day_number


DAYS_PER_YEAR = 365.25
SIX_MONTHS_DAYS = 183
TWELVE_MONTHS_DAYS = 365
ALPHA = 0.05

RESULT_KEYS = (
    "product", "as_of", "reference_incidence", "reference_mild_moderate_share", "reference_source",
    "exposed_patients", "exposed_6_months", "exposed_12_months", "exposure_patient_years", "isr_events",
    "patients_with_isr", "isr_incidence", "isr_incidence_ci95", "incidence_p_value", "eair_per_100py",
    "eair_ci95", "mild_moderate_share", "mild_moderate_ci95", "mild_moderate_p_value", "resolved_reactions",
    "ongoing_reactions", "duration_days_mean", "duration_days_median_km", "duration_within_reference_share",
    "reference_duration_days", "time_to_first_isr_median_km",
)

DEFINITIONS = [
    ("As of date D", "Exposure is clipped to D (ongoing or later end counts as D); periods starting after D are "
                     "ignored. Days are inclusive: start and end both count."),
    ("Filters", "Site, dose and exposure start range select exposure periods (a dose = periods at that dose; "
                "the start range = periods starting within it). A reaction belongs to the patient's latest "
                "period starting on or before its onset; with a dose or start-range filter only reactions "
                "belonging to a selected period count."),
    ("Exposed patients", "Patients with a selected exposure period starting on or before D; 6 and 12 months "
                         "mean at least 183 and 365 cumulative exposure days."),
    ("Exposure (patient-years)", "Sum of every patient's exposure days divided by 365.25."),
    ("Reactions counted", "The product's injection-site reactions with onset on or before D, of exposed "
                          "patients, not voided (voided patients and exposure periods are excluded too)."),
    ("ISR incidence", "Patients with at least one ISR / exposed patients; 95% CI Clopper–Pearson exact; "
                      "p-value: exact two-sided binomial test against the reference incidence."),
    ("EAIR", "Exposure-adjusted incidence rate: 100 × ISR events / patient-years; exact Poisson 95% CI."),
    ("Mild/moderate share", "Among patients with an ISR, the share whose most severe ISR is mild or moderate; "
                            "Clopper–Pearson CI and exact binomial test against the reference share."),
    ("Duration", "Resolved by D: resolution − onset + 1 days; otherwise censored at D − onset + 1. Mean over "
                 "resolved reactions; median by Kaplan–Meier (smallest t with S(t) ≤ 0.5, none if never)."),
    ("Time to first ISR", "First counted ISR onset − first exposure start + 1 days; patients without one are "
                          "censored at their last exposure day (clipped to D) − first start + 1; Kaplan–Meier median."),
    ("Verdict", "consistent when p ≥ 0.05, otherwise higher or lower than the reference; the duration median "
                "is compared with the reference range."),
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

    def canonical(self) -> dict:
        return {
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


def _reactions(params: ReportParams):
    """The counted reactions' own conditions (product, not voided, onset by D, owning period selected when the
    filters attribute reactions to periods), without "of an exposed patient": a LEFT JOIN from the exposed
    patients applies that more cheaply than a semi-join over a million rows."""
    reactions = InjectionSiteReaction.objects.filter(
        product_id=params.product.pk, voided_at__isnull=True, onset_date__lte=params.as_of)
    if params.attributes_reactions_to_periods:
        owning_period = (ExposurePeriod.objects
                         .filter(patient_id=OuterRef("patient_id"), product_id=params.product.pk,
                                 voided_at__isnull=True, start_date__lte=OuterRef("onset_date"))
                         .order_by("-start_date").values("id")[:1])
        reactions = reactions.alias(period_id=Subquery(owning_period)).filter(
            period_id__in=selected_periods(params).values("id"))
    return reactions.order_by()


def counted_reactions(params: ReportParams):
    """The reactions the report counts (see DEFINITIONS)."""
    return _reactions(params).filter(patient_id__in=selected_periods(params).values("patient_id"))


def _clipped_end(as_of_day):
    return Least(Coalesce(DayNumber("end_date"), Value(as_of_day)), Value(as_of_day), output_field=IntegerField())


def _fetch(sql, params):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _first_isr_sql(params: ReportParams):
    """SQL of one row per patient with an ISR that counts if the patient is exposed (the caller's LEFT JOIN
    from the exposed patients keeps only those): first onset day, and 1 if any such ISR is severe."""
    # A site's report keeps the semi-join: it narrows a million reactions to the site's few.
    reactions = counted_reactions(params) if params.site_id is not None else _reactions(params)
    per_patient = (reactions.values("patient_id")
                   .annotate(first_onset_day=DayNumber(Min("onset_date")),  # one date conversion per patient
                             severe=Max(Case(When(severity=Severity.SEVERE, then=Value(1)), default=Value(0),
                                             output_field=IntegerField())))
                   .order_by())
    return per_patient.query.sql_with_params()


def _per_patient_sql(params: ReportParams):
    """SQL of one row per exposed patient: exposure days, first start day, last exposure day, and from
    the counted ISRs the first onset day and a severe flag (NULL when the patient has none)."""
    as_of_day = day_number(params.as_of)
    per_patient = (selected_periods(params).values("patient_id")
                   .annotate(exposure_days=Sum(_clipped_end(as_of_day) - DayNumber("start_date") + 1),
                             first_day=DayNumber(Min("start_date")), last_day=Max(_clipped_end(as_of_day)))
                   .order_by())
    p_sql, p_params = per_patient.query.sql_with_params()
    r_sql, r_params = _first_isr_sql(params)
    sql = (f"SELECT p.patient_id, p.exposure_days, p.first_day, p.last_day, r.first_onset_day, r.severe "
           f"FROM ({p_sql}) p LEFT JOIN ({r_sql}) r ON r.patient_id = p.patient_id")
    return sql, (*p_params, *r_params)


# --- the measures: four grouped queries --------------------------------------------------------

def _patient_groups_sql(sql: str) -> str:
    """Three groupings of the per-patient rows `sql`, computed once (a CTE used several times is materialised by
    SQLite and PostgreSQL). Columns: kind, key, event, count, a, b, c, severity (NULL here)."""
    return (
        f"WITH pp AS ({sql}) "
        "SELECT 'e', pp.first_day, 0, COUNT(*), SUM(pp.exposure_days), "
        f"SUM(CASE WHEN pp.exposure_days >= {SIX_MONTHS_DAYS} THEN 1 ELSE 0 END), "
        f"SUM(CASE WHEN pp.exposure_days >= {TWELVE_MONTHS_DAYS} THEN 1 ELSE 0 END), NULL "
        "FROM pp GROUP BY pp.first_day "
        "UNION ALL SELECT 't', tt.t, tt.event, COUNT(*), SUM(tt.severe), 0, 0, NULL FROM (SELECT "
        "CASE WHEN pp.first_onset_day IS NULL THEN pp.last_day - pp.first_day + 1 "
        "ELSE pp.first_onset_day - pp.first_day + 1 END AS t, "
        "CASE WHEN pp.first_onset_day IS NULL THEN 0 ELSE 1 END AS event, "
        "COALESCE(pp.severe, 0) AS severe FROM pp) tt GROUP BY tt.t, tt.event "
        "UNION ALL SELECT 'f', pp.first_onset_day, 0, COUNT(*), 0, 0, 0, NULL FROM pp "
        "WHERE pp.first_onset_day IS NOT NULL GROUP BY pp.first_onset_day")


def _split_groups(rows) -> tuple[list, list, list, list]:
    entries, ttf, firsts, reactions = [], [], [], []
    for kind, key, event, count, a, b, c, severity in rows:
        if kind == "e":
            entries.append((int(key), int(count), int(a), int(b), int(c)))
        elif kind == "t":
            ttf.append((int(key), int(event), int(count), int(a)))
        elif kind == "f":
            firsts.append((int(key), int(count)))
        else:
            reactions.append((int(key), int(event), severity, int(count)))
    return sorted(entries), sorted(ttf), sorted(firsts), sorted(reactions)


def patient_groups(params: ReportParams) -> tuple[list, list, list]:
    """In one statement:

    - entries: (first exposure day, patients, exposure days, patients ≥ 6 months, ≥ 12 months);
    - time to first ISR: (days since first exposure, first ISR seen 1/0, patients, of whom with a severe ISR);
    - firsts: (day of the first counted ISR, patients).
    """
    sql, sql_params = _per_patient_sql(params)
    return _split_groups(_fetch(_patient_groups_sql(sql), sql_params))[:3]


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
    if connection.vendor != "sqlite":
        entries, ttf, firsts = patient_groups(params)
        middle = time.perf_counter()
        reactions = reaction_groups(params)
        return entries, ttf, firsts, reactions, {"patients_sql": round(middle - started, 6),
                                                 "reactions_sql": round(time.perf_counter() - middle, 6)}
    sql, sql_params = _per_patient_sql(params)
    exposed = _reactions(params).filter(patient_id__in=RawSQL("SELECT pp.patient_id FROM pp", ()))
    r_sql, r_params = _reaction_groups(exposed, params.as_of).query.sql_with_params()
    rows = _fetch(f"{_patient_groups_sql(sql)} UNION ALL SELECT 'd', g.duration, g.resolved, g.n, 0, 0, 0, "
                  f"g.severity FROM ({r_sql}) g", (*sql_params, *r_params))
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
    reactions = counted_reactions(params).aggregate(n=Count("id"), ids=Sum("id"), updated=Max("updated_at"))
    parts = {
        "periods": {key: _jsonable(value) for key, value in periods.items()},
        "reactions": {key: _jsonable(value) for key, value in reactions.items()},
        "reference": reference_figures(params.reference_profile),
    }
    digest = hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()
    return digest, parts


def _jsonable(value):
    if value is None or isinstance(value, (int, float, str)):
        return value
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def reference_figures(profile: ReferenceProfile) -> dict:
    """A copy of the profile's figures, kept in the snapshot whatever happens to the profile later."""
    fields = ("label", "source_citation", "source_url", "source_document", "effective_date", "isr_incidence",
              "isr_incidence_n", "comparator_incidence", "mild_moderate_share", "mild_moderate_n",
              "duration_min_days", "duration_max_days", "safety_database_patients", "exposed_6_months",
              "exposed_12_months", "dose_mg_per_day")
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
    with without_jit():
        entries_full, ttf_full, firsts, reactions, sql_timings = profile_groups(params)
    timings.update(sql_timings)
    lap("sql")

    durations = duration_groups(reactions)
    severities = severity_counts(reactions)
    ttf = [(t, e, n) for t, e, n, _ in ttf_full]
    entries = [(day, n) for day, n, _, _, _ in entries_full]
    exposed = sum(n for _, n, _, _, _ in entries_full)
    exposure_days = sum(days for _, _, days, _, _ in entries_full)
    patient_years = exposure_days / DAYS_PER_YEAR
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
    eair = poisson = None
    if patient_years:
        eair = 100 * events / patient_years
        poisson = _interval(statistics.poisson_rate_ci(events, patient_years), 100)

    results = {
        "product": params.product.code,
        "as_of": params.as_of.isoformat(),
        "reference_incidence": ref_incidence,
        "reference_mild_moderate_share": ref_mild,
        "reference_source": profile.source_citation,
        "exposed_patients": exposed,
        "exposed_6_months": sum(six for _, _, _, six, _ in entries_full),
        "exposed_12_months": sum(twelve for _, _, _, _, twelve in entries_full),
        "exposure_patient_years": patient_years,
        "isr_events": events,
        "patients_with_isr": with_isr,
        "isr_incidence": _share(with_isr, exposed),
        "isr_incidence_ci95": _interval(statistics.clopper_pearson(with_isr, exposed)),
        "incidence_p_value": statistics.binomial_test_p(with_isr, exposed, ref_incidence),
        "eair_per_100py": eair,
        "eair_ci95": poisson,
        "mild_moderate_share": _share(mild_moderate, with_isr),
        "mild_moderate_ci95": _interval(statistics.clopper_pearson(mild_moderate, with_isr)),
        "mild_moderate_p_value": statistics.binomial_test_p(mild_moderate, with_isr, ref_mild),
        "resolved_reactions": resolved_count,
        "ongoing_reactions": ongoing_count,
        "duration_days_mean": (sum(d * n for d, n in resolved) / resolved_count) if resolved_count else None,
        "duration_days_median_km": _to_float(statistics.km_median(*km_args)),
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
        "monthly_incidence": monthly_incidence(entries, firsts, params.as_of),
        "definitions": DEFINITIONS,
    }
    lap("series")
    return results, details, timings


def verdicts(results: dict) -> dict:
    median, reference = results["duration_days_median_km"], results["reference_duration_days"]
    duration = None
    if median is not None and reference:
        duration = "higher" if median > reference[1] else "lower" if median < reference[0] else "consistent"
    return {
        "isr_incidence": statistics.verdict(results["incidence_p_value"], results["isr_incidence"],
                                            results["reference_incidence"], alpha=ALPHA),
        "mild_moderate_share": statistics.verdict(results["mild_moderate_p_value"], results["mild_moderate_share"],
                                                  results["reference_mild_moderate_share"], alpha=ALPHA),
        "duration_days_median_km": duration,
    }


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

    One query on every page of a central report user: each scheduled snapshot that is its product's latest."""
    done = AggregateReport.objects.filter(scheduled=True, status=ReportStatus.DONE)
    latest = done.filter(product_id=OuterRef("product_id")).order_by("-finished_at", "-id").values("id")[:1]
    reports = done.filter(pk=Subquery(latest)).select_related("product").order_by("product__code")
    return [report for report in reports if report.alerts]


def reports_visible_to(user):
    """Reports a user may open: all for central staff, only their site's reports for a site-bound user."""
    reports = AggregateReport.objects.select_related("product", "site", "reference_profile", "requested_by")
    if user.site_id:
        reports = reports.filter(site_id=user.site_id)
    return reports


MEASURES = (
    # label, observed key, ci key, reference key, p key, verdict key
    ("ISR incidence (patients with ≥ 1 ISR)", "isr_incidence", "isr_incidence_ci95", "reference_incidence",
     "incidence_p_value", "isr_incidence"),
    ("Mild/moderate share (worst ISR per patient)", "mild_moderate_share", "mild_moderate_ci95",
     "reference_mild_moderate_share", "mild_moderate_p_value", "mild_moderate_share"),
    ("EAIR per 100 patient-years", "eair_per_100py", "eair_ci95", None, None, None),
    ("Median ISR duration, days (Kaplan–Meier)", "duration_days_median_km", None, "reference_duration_days", None,
     "duration_days_median_km"),
    ("Mean duration of resolved ISRs, days", "duration_days_mean", None, None, None, None),
    ("Resolved ISRs lasting within the reference range", "duration_within_reference_share", None, None, None, None),
    ("Median time to first ISR, days (Kaplan–Meier)", "time_to_first_isr_median_km", None, None, None, None),
)


def measure_rows(report: AggregateReport) -> list[dict]:
    """The observed-versus-reference table of a done report."""
    results, verdict_of = report.results, report.details["verdicts"]
    return [{
        "label": label, "key": key, "observed": results[key], "ci": results[ci_key] if ci_key else None,
        "reference": results[ref_key] if ref_key else None, "p_value": results[p_key] if p_key else None,
        "verdict": verdict_of.get(verdict_key) if verdict_key else None,
        "is_share": key in ("isr_incidence", "mild_moderate_share", "duration_within_reference_share"),
    } for label, key, ci_key, ref_key, p_key, verdict_key in MEASURES]


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
    return rows
