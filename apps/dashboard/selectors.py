"""What the home page shows: key figures against the reference, work waiting, recent onsets.

Key figures come from the latest finished aggregate report of the user's scope when there is
one (the snapshot the reviewers discuss); otherwise they are counted live by the cohort engine
(apps.cohort.queries, the same rules as the reports) and judged with the report's verdicts.
"""
from dataclasses import dataclass
from datetime import date, datetime

from django.urls import NoReverseMatch, reverse

from apps.core.roles import scoped_site
from apps.core.models import today
from apps.reactions.choices import Status
from apps.reactions.models import InjectionSiteReaction
from apps.cohort import queries, statistics
from apps.cohort.profile import verdicts
from apps.cohort.scope import Scope
from apps.reports.models import AggregateReport, ReportStatus
from apps.summaries import snapshots
from apps.summaries.cache import cached

AWAITING_REVIEW_SHOWN = 10
CHART_MONTHS = 12


@dataclass
class KeyFigures:
    results: dict
    verdicts: dict
    source: str  # "report" or "live"
    report: AggregateReport | None
    as_of: date
    computed_at: datetime | None = None  # live figures read from the stored figures: when they were computed
    stale: bool = False  # the data changed since: a refresh is queued


def user_scope(user, product, as_of=None):
    return Scope(product=product, site=scoped_site(user), as_of=as_of or today())


def report_url(report):
    """The report's page, once the reports app routes one."""
    if report is None:
        return None
    try:
        return reverse("reports:detail", args=[report.pk])
    except NoReverseMatch:
        return None


def latest_report_for(scope):
    """The newest finished whole-cohort snapshot of this product and site (None = all sites)."""
    return (AggregateReport.objects
            .filter(product=scope.product, site=scope.site, status=ReportStatus.DONE, dose_mg_per_day__isnull=True,
                    exposure_start_from__isnull=True, exposure_start_to__isnull=True)
            .order_by("-as_of", "-finished_at", "-id").first())


def latest_scheduled_report(product):
    return (AggregateReport.objects.filter(product=product, scheduled=True)
            .exclude(status=ReportStatus.DUPLICATE).order_by("-requested_at", "-id").first())


def _float(value):
    return None if value is None else float(value)


def live_results(counts: queries.KeyFigureCounts, reference):
    """The dashboard's subset of the report's results, from the cohort's key figure counts."""
    incidence, severity, histogram = counts.incidence, counts.severity, counts.durations
    mild_k, mild_n = severity.patients_mild_moderate, severity.patients
    ref_incidence = _float(reference.isr_incidence) if reference else None
    ref_mild = _float(reference.mild_moderate_share) if reference else None
    ref_range = ([reference.duration_min_days, reference.duration_max_days]
                 if reference is not None and reference.duration_min_days is not None else None)
    km_args = ([g.duration_days for g in histogram], [g.resolved for g in histogram], [g.reactions for g in histogram])
    median = statistics.km_median(*km_args)
    rmean = statistics.km_restricted_mean(*km_args)
    k, n = incidence.with_isr, incidence.exposed
    return {
        "exposed_patients": n, "patients_with_isr": k,
        "isr_incidence": k / n if n else None, "isr_incidence_ci95": _pair(statistics.clopper_pearson(k, n)),
        "reference_incidence": ref_incidence,
        "incidence_p_value": statistics.binomial_test_p(k, n, ref_incidence),
        "mild_moderate_share": mild_k / mild_n if mild_n else None,
        "mild_moderate_ci95": _pair(statistics.clopper_pearson(mild_k, mild_n)),
        "reference_mild_moderate_share": ref_mild,
        "mild_moderate_p_value": statistics.binomial_test_p(mild_k, mild_n, ref_mild),
        "mild_moderate_patients": mild_k,
        "duration_days_median_km": _float(median), "reference_duration_days": ref_range,
        "duration_days_rmean_km": rmean and rmean[0], "duration_days_rmean_se": rmean and rmean[1],
        "resolved_reactions": sum(g.reactions for g in histogram if g.resolved),
        "ongoing_reactions": sum(g.reactions for g in histogram if not g.resolved),
    }


def _pair(interval):
    return None if interval is None else [interval[0], interval[1]]


def dashboard_figures(scope, reference):
    """The dashboard's figures counted from the rows in one statement: its key results and the monthly onsets.
    The refresh task stores exactly this (kind "dashboard"); without stored figures it is cached per stamp."""
    since = first_of_month(scope.as_of, CHART_MONTHS - 1)
    counts = queries.key_figure_counts(scope, onsets_since=since)
    return {"results": live_results(counts, reference),
            "onsets": [[row.month.isoformat(), row.reactions, row.patients] for row in counts.onsets]}


def figures_payload(scope, reference, stamp):
    """(figures, stored snapshot or None): the stored figures when there are (a stale one queues a refresh),
    else counted from the rows (cached per data stamp, computed once across workers)."""
    snapshot = snapshots.stored_figures("dashboard", scope)
    if snapshot is None or snapshots.is_stale(snapshot, stamp):
        snapshots.request_refresh()
    if snapshot is not None:
        return snapshot.payload, snapshot
    return cached("dashboard", scope, lambda: dashboard_figures(scope, reference),
                  reference.pk if reference else None, stamp=stamp), None


def key_figures(scope, payload, snapshot=None, stamp=None) -> KeyFigures:
    report = latest_report_for(scope)
    if report is not None and report.results:
        details = report.details or {}
        return KeyFigures(results=report.results, verdicts=details.get("verdicts") or verdicts(report.results),
                          source="report", report=report, as_of=report.as_of)
    results = payload["results"]
    return KeyFigures(results=results, verdicts=verdicts(results), source="live", report=None, as_of=scope.as_of,
                      computed_at=snapshot and snapshot.computed_at,
                      stale=snapshot is not None and snapshots.is_stale(snapshot, stamp))


def awaiting_review(scope):
    """Submitted, live reactions of the scope, oldest onset first: the reviewers' queue."""
    reactions = InjectionSiteReaction.objects.filter(status=Status.SUBMITTED, voided_at__isnull=True,
                                                     patient__voided_at__isnull=True)
    if scope.site is not None:
        reactions = reactions.filter(patient__site=scope.site)
    return reactions.select_related("patient__site", "product").order_by("onset_date", "reaction_ref")


def review_queue(scope, stamp=None):
    """(oldest submitted reactions, how many): a sort and count over many rows, so cached per data stamp."""
    def compute():
        queue = awaiting_review(scope)
        return list(queue[:AWAITING_REVIEW_SHOWN]), queue.count()

    return cached("dashboard-queue", scope, compute, AWAITING_REVIEW_SHOWN, stamp=stamp)


def first_of_month(day, months_back=0):
    month_index = day.year * 12 + day.month - 1 - months_back
    return date(month_index // 12, month_index % 12 + 1, 1)


def monthly_onset_series(scope, payload):
    """[(first day of month, reactions, patients)] for the last CHART_MONTHS months, empty months included."""
    counts = {date.fromisoformat(month): (reactions, patients) for month, reactions, patients in payload["onsets"]}
    return [(month, *counts.get(month, (0, 0)))
            for month in (first_of_month(scope.as_of, back) for back in range(CHART_MONTHS - 1, -1, -1))]
