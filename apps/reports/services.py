"""Writes of aggregate reports: record a request, run it exactly once, alert, re-queue stuck ones.

The request is always recorded in the database first (status queued) and the task is sent
with `transaction.on_commit`; a broker that is down only delays the report, because the
sweeper re-sends requests that stay queued. Workers claim a report with a conditional
UPDATE (queued, or running with an expired lease) and write the results with another one
guarded by their attempt token, so redelivered or duplicated messages never produce a
second snapshot; a unique constraint backs this up.
"""
import functools
import hashlib
import json
import logging
import subprocess
import time
import tomllib
import uuid
from datetime import timedelta
from decimal import Decimal

from celery import current_app
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from apps.core.roles import Role

from apps.cohort import profile as cohort_profile
from apps.cohort import sequential
from apps.cohort.scope import Scope
from apps.cohort.sql import consistent_read

from . import selectors
from .models import AggregateReport, MonitoredMeasure, MonitoringLook, MonitoringPlan, ReportStatus, SpendingType

RUN_TASK = "reports.run_aggregate_report"
logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 3


@functools.cache
def code_version() -> str:
    """The version of the running code, the same on every host of one release.

    An image carries the CODE_VERSION file written at build time (Dockerfile, build argument
    CODE_VERSION): every container started from it reports the same version, whatever the host.
    A checkout without that file reports `git describe`, else the package version."""
    if settings.CODE_VERSION_FILE.exists():
        built = settings.CODE_VERSION_FILE.read_text().strip()
        if built:
            return built
    try:
        described = subprocess.run(["git", "describe", "--always", "--dirty", "--tags"], cwd=settings.BASE_DIR,
                                   capture_output=True, text=True, timeout=5, check=True).stdout.strip()
        if described:
            return f"git:{described}"
    except (OSError, subprocess.SubprocessError):
        pass
    return package_version()


def package_version() -> str:
    with open(settings.BASE_DIR / "pyproject.toml", "rb") as handle:
        return "pv-tracker " + tomllib.load(handle)["project"]["version"]


def _enqueue(report_id: int, **task_kwargs) -> bool:
    """Send the task; a broker failure is logged, not raised: the request stays queued for the sweeper."""
    try:
        # By name: the task module wraps these services, so the services do not import it back.
        current_app.signature(RUN_TASK, args=[report_id], kwargs=task_kwargs or None).apply_async(retry=False)
    except Exception:  # noqa: BLE001 - any broker error must leave the request for the sweeper
        logger.exception("Could not queue aggregate report %s; the sweeper will retry.", report_id)
        return False
    return True


def report_scope(report: AggregateReport) -> Scope:
    """The cohort a report covers."""
    return Scope(product=report.product, as_of=report.as_of, site=report.site, dose_mg_per_day=report.dose_mg_per_day,
                 exposure_start_from=report.exposure_start_from, exposure_start_to=report.exposure_start_to)


def report_key(scope: Scope, reference_profile) -> str:
    """Hash of the question: the scope and the reference profile. Equal keys mean the same question."""
    canonical = {**scope.canonical(), "reference_profile_id": reference_profile.pk}
    return hashlib.sha256(json.dumps(canonical, sort_keys=True).encode()).hexdigest()


def _params(*, product, as_of, reference_profile=None, site=None, dose_mg_per_day=None, exposure_start_from=None,
            exposure_start_to=None) -> tuple[Scope, AggregateReport]:
    reference_profile = reference_profile or product.current_reference_profile()
    if reference_profile is None:
        raise ValidationError({"reference_profile": f"{product} has no current reference profile; choose one."})
    report = AggregateReport(product=product, as_of=as_of, reference_profile=reference_profile, site=site,
                             dose_mg_per_day=dose_mg_per_day, exposure_start_from=exposure_start_from,
                             exposure_start_to=exposure_start_to)
    report.full_clean(exclude=["params_key"])
    scope = report_scope(report)
    report.params_key = report_key(scope, reference_profile)
    return scope, report


def report_request(*, product, as_of, reference_profile=None, site=None, dose_mg_per_day=None,
                   exposure_start_from=None, exposure_start_to=None, requested_by=None, scheduled=False,
                   queue=True, task_kwargs=None) -> AggregateReport:
    """Record a request and queue it, or return the snapshot that already answers it.

    Same parameters on unchanged data give back the existing snapshot; a request already
    waiting with the same parameters is reused rather than duplicated.
    """
    scope, report = _params(product=product, as_of=as_of, reference_profile=reference_profile, site=site,
                             dose_mg_per_day=dose_mg_per_day, exposure_start_from=exposure_start_from,
                             exposure_start_to=exposure_start_to)
    with consistent_read():
        fingerprint, _ = cohort_profile.data_fingerprint(scope, report.reference_profile)
    existing = selectors.find_snapshot(params_key=report.params_key, fingerprint=fingerprint)
    if existing is not None:
        if scheduled:
            _adopt_as_scheduled(existing)
        return existing
    report.requested_by = requested_by
    report.scheduled = scheduled
    report.last_enqueued_at = timezone.now()
    try:
        with transaction.atomic():
            report.save()
    except IntegrityError:
        # Someone recorded the same request a moment ago: that one will be run.
        report = AggregateReport.objects.get(params_key=report.params_key, status=ReportStatus.QUEUED)
        if scheduled and not report.scheduled:
            AggregateReport.objects.filter(pk=report.pk, status=ReportStatus.QUEUED).update(scheduled=True)
        return report
    if queue:
        report_id = report.pk
        transaction.on_commit(lambda: _enqueue(report_id, **(task_kwargs or {})))
    return report


def _adopt_as_scheduled(snapshot: AggregateReport):
    """A scheduled run that finds a manual snapshot of the same data takes it as its own (and alerts)."""
    if AggregateReport.objects.filter(pk=snapshot.pk, scheduled=False).update(scheduled=True):
        snapshot.scheduled = True
        _record_looks_and_alert(snapshot)


def report_run(*, report_id: int, slow_seconds: float = 0) -> AggregateReport | None:
    """Compute a recorded request once. Safe to call any number of times, concurrently.

    `slow_seconds` (tests only) sleeps on the first attempt, after the claim, so that a test
    can kill the worker while the report is running.
    """
    now = timezone.now()
    token = uuid.uuid4().hex
    claimed = (AggregateReport.objects.filter(pk=report_id)
               .filter(Q(status=ReportStatus.QUEUED) | Q(status=ReportStatus.RUNNING, lease_expires_at__lt=now))
               .update(status=ReportStatus.RUNNING, attempt_token=token, started_at=now, attempts=F("attempts") + 1,
                       lease_expires_at=now + timedelta(seconds=settings.REPORTS_LEASE_SECONDS)))
    report = AggregateReport.objects.select_related("product", "site", "reference_profile").filter(pk=report_id).first()
    if not claimed or report is None:
        return report  # finished, taken by a live worker, or unknown: nothing to do
    if report.attempts > MAX_ATTEMPTS:
        _finish(report, token, status=ReportStatus.FAILED,
                error=f"The worker stopped {report.attempts - 1} times while computing this report.")
        return _reload(report_id)
    scope = report_scope(report)
    started = time.perf_counter()
    try:
        with consistent_read():
            fingerprint, parts = cohort_profile.data_fingerprint(scope, report.reference_profile)
            existing = selectors.find_snapshot(params_key=report.params_key, fingerprint=fingerprint)
            if existing is None:
                if slow_seconds and report.attempts == 1:
                    time.sleep(slow_seconds)
                results, details, timings = cohort_profile.isr_profile(scope, report.reference_profile)
    except Exception as exc:  # noqa: BLE001 - the failure is recorded on the report for the user
        logger.exception("Aggregate report %s failed", report_id)
        _finish(report, token, status=ReportStatus.FAILED, error=f"{type(exc).__name__}: {exc}")
        return _reload(report_id)
    if existing is not None:
        _finish(report, token, status=ReportStatus.DUPLICATE, same_as=existing)
        if report.scheduled:
            _adopt_as_scheduled(existing)
        return _reload(report_id)
    timings["total_seconds"] = round(time.perf_counter() - started, 6)
    report.alerts = alerts_for(results, details)
    try:
        with transaction.atomic():
            written = _finish(
                report, token, status=ReportStatus.DONE, data_fingerprint=fingerprint, fingerprint_parts=parts,
                reference_history_id=cohort_profile.reference_history_id(report.reference_profile),
                reference_figures=cohort_profile.reference_figures(report.reference_profile), results=results,
                details=details, alerts=report.alerts, code_version=code_version(), timings=timings)
    except IntegrityError as exc:
        # Another request with the same parameters stored the same data first...
        existing = selectors.find_snapshot(params_key=report.params_key, fingerprint=fingerprint)
        if existing is not None:
            _finish(report, token, status=ReportStatus.DUPLICATE, same_as=existing)
        else:  # ...or the database refused the results for another reason: a failure, not a duplicate of nothing.
            logger.exception("Aggregate report %s: the database refused the results", report_id)
            _finish(report, token, status=ReportStatus.FAILED, error=f"The database refused the results: {exc}")
        return _reload(report_id)
    report = _reload(report_id)
    if written and report.scheduled:
        _record_looks_and_alert(report)
    return report


def _finish(report, token, **fields) -> int:
    """Write the outcome only if this attempt still holds the report (a taken-over attempt writes nothing)."""
    return (AggregateReport.objects.filter(pk=report.pk, status=ReportStatus.RUNNING, attempt_token=token)
            .update(finished_at=timezone.now(), lease_expires_at=None, **fields))


def _reload(report_id):
    return AggregateReport.objects.select_related("product", "reference_profile", "same_as").get(pk=report_id)


def alerts_for(results: dict, details: dict) -> list[str]:
    """Alerts that do not depend on repeated looks: the ISR duration's restricted mean beyond the reference
    range. Incidence and the mild/moderate share alert only through the monitoring plan, on a boundary
    crossing (monitoring_record_looks), never on a nominal p < 0.05 of one monthly look."""
    if details["verdicts"]["duration_days_rmean_km"] != "longer":
        return []
    low, high = results["reference_duration_days"]
    rmean, se = results["duration_days_rmean_km"], results["duration_days_rmean_se"]
    return [f"ISR duration (Kaplan–Meier restricted mean to {cohort_profile.RMEAN_TAU_DAYS} days) {rmean:.1f} days, "
            f"95% CI {rmean - 1.96 * se:.1f}–{rmean + 1.96 * se:.1f}, is longer than the reference range "
            f"{low}–{high} days."]


MEASURE_COUNTS = {
    # measure: (n key, x key, p0 key, words)
    MonitoredMeasure.HORIZON_INCIDENCE: ("horizon_cohort_patients", "horizon_patients_with_isr", "reference_incidence",
                                         "horizon ISR incidence"),
    MonitoredMeasure.HORIZON_MILD_MODERATE_SHARE: ("horizon_patients_with_isr", "horizon_mild_moderate_patients",
                                                   "reference_mild_moderate_share", "horizon mild/moderate share"),
}


@transaction.atomic
def monitoring_plan_save(*, product, reference_profile=None, start_date, max_cohort_patients, alpha=Decimal("0.05"),
                         spending=SpendingType.OBRIEN_FLEMING, monitor_horizon_incidence=True,
                         monitor_horizon_mild_moderate_share=True) -> MonitoringPlan:
    """Create the plan of a product and profile (the primary one by default), or change it while it has no
    look yet: once looks exist, their boundaries depend on the plan, so it is refused."""
    reference_profile = reference_profile or product.current_reference_profile()
    if reference_profile is None:
        raise ValidationError({"reference_profile": f"{product} has no primary reference profile; choose one."})
    plan = (MonitoringPlan.objects.select_for_update().filter(product=product, reference_profile=reference_profile)
            .first()) or MonitoringPlan(product=product, reference_profile=reference_profile)
    plan.start_date, plan.max_cohort_patients, plan.alpha, plan.spending = (start_date, max_cohort_patients,
                                                                           Decimal(str(alpha)), spending)
    plan.monitor_horizon_incidence = monitor_horizon_incidence
    plan.monitor_horizon_mild_moderate_share = monitor_horizon_mild_moderate_share
    plan.full_clean()
    plan.save()
    return plan


def monitoring_record_looks(*, report: AggregateReport) -> list[str]:
    """Record a done scheduled report as a look of its monitoring plan; the alert sentences of boundaries
    crossed for the first time at this look.

    A look whose date is not after the plan's last look of that measure (recorded already, or out of
    order) is not recorded again: boundaries depend on the looks before, so looks are only appended."""
    plan = selectors.monitoring_plan_of(report)
    if plan is None or report.status != ReportStatus.DONE or report.as_of < plan.start_date:
        return []
    results = report.results
    cohort = results["horizon_cohort_patients"]
    if not cohort:
        return []
    fraction = min(1.0, cohort / plan.max_cohort_patients)
    alerts = []
    with transaction.atomic():
        plan = MonitoringPlan.objects.select_for_update().get(pk=plan.pk)  # one look recorder at a time
        for measure in plan.measures:
            n_key, x_key, p0_key, words = MEASURE_COUNTS[measure]
            earlier = list(plan.looks.filter(measure=measure).order_by("as_of"))
            if earlier and earlier[-1].as_of >= report.as_of:
                continue
            n, x, p0 = results[n_key], results[x_key], results[p0_key]
            looks = sequential.monitor([(look.n, look.x, look.information_fraction) for look in earlier]
                                       + [(n, x, fraction)], p0, float(plan.alpha), plan.spending)
            if len(looks) <= len(earlier):
                continue  # no new patients: the look is skipped
            look = looks[-1]
            record = MonitoringLook(plan=plan, report=report, measure=measure, as_of=report.as_of, n=look.n,
                                    x=look.x, information_fraction=look.information_fraction, z=look.z,
                                    critical_value=look.critical_value,
                                    cumulative_alpha_spent=look.cumulative_alpha_spent, signal=look.signal)
            record.full_clean()
            record.save()
            if look.signal != "none" and sequential.plan_signal(looks[:-1]) == "none":
                alerts.append(
                    f"Monitoring plan: the {words} {x}/{n} = {x / n:.1%} crossed the {look.signal} boundary at "
                    f"look {len(looks)} (z = {look.z:.2f}, critical value ±{look.critical_value:.2f}, "
                    f"{look.cumulative_alpha_spent:.4f} of the plan's α = {plan.alpha} spent) against the "
                    f"reference {p0:.1%}.")
    return alerts


def _record_looks_and_alert(report: AggregateReport) -> AggregateReport:
    """A done scheduled snapshot: record its monitoring looks, add their alerts, then send the alerts once."""
    new_alerts = monitoring_record_looks(report=report)
    if new_alerts:
        report.alerts = [*report.alerts, *new_alerts]
        AggregateReport.objects.filter(pk=report.pk).update(alerts=report.alerts)
    report_send_alerts(report=report)
    return report


def alert_recipients() -> list[str]:
    users = (get_user_model().objects.filter(is_active=True, groups__name__in=[Role.REVIEWER, Role.ANALYST])
             .exclude(email="").values_list("email", flat=True).distinct().order_by("email"))
    return list(users)


def report_send_alerts(*, report: AggregateReport) -> bool:
    """Email reviewers and analysts once per scheduled snapshot with alerts (conditional UPDATE = once)."""
    if not report.alerts or not report.scheduled:
        return False
    if not AggregateReport.objects.filter(pk=report.pk, alerted_at__isnull=True).update(alerted_at=timezone.now()):
        return False
    recipients = alert_recipients()
    if not recipients:
        return False
    subject = f"[pv-tracker] {report.product.code}: ISR profile differs from the reference (as of {report.as_of})"
    body = "\n".join([
        f"The scheduled aggregate report #{report.pk} for {report.product} as of {report.as_of} found:", "",
        *[f"- {alert}" for alert in report.alerts], "",
        f"Report: {reverse('reports:detail', args=[report.pk])}",
    ])
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, recipients)
    return True


def reports_requeue_stuck() -> list[int]:
    """Re-send requests stuck in queued (lost message, broker outage) and running ones whose lease
    expired (dead worker); give up on those that keep killing their worker."""
    scheduled_reports_catch_up()
    now = timezone.now()
    stale = now - timedelta(seconds=settings.REPORTS_REQUEUE_AFTER_SECONDS)
    AggregateReport.objects.filter(status=ReportStatus.RUNNING, lease_expires_at__lt=now,
                                   attempts__gte=MAX_ATTEMPTS).update(
        status=ReportStatus.FAILED, finished_at=now, lease_expires_at=None,
        error=f"The worker stopped {MAX_ATTEMPTS} times while computing this report.")
    stuck = AggregateReport.objects.filter(
        Q(status=ReportStatus.QUEUED) | Q(status=ReportStatus.RUNNING, lease_expires_at__lt=now),
        Q(last_enqueued_at__isnull=True) | Q(last_enqueued_at__lt=stale))
    requeued = []
    for report_id in stuck.values_list("id", flat=True)[:500]:
        # Conditional, so that two sweepers running at once send each report once.
        if AggregateReport.objects.filter(pk=report_id).filter(
                Q(last_enqueued_at__isnull=True) | Q(last_enqueued_at__lt=stale)).update(last_enqueued_at=now):
            if _enqueue(report_id):
                requeued.append(report_id)
    return requeued


def scheduled_reports_catch_up() -> list[AggregateReport]:
    """Record the scheduled reports whose beat message never reached a worker.

    Beat marks a monthly entry as run before it sends the message, so a broker outage at
    that moment would lose the month's report. The sweeper (every minute) asks each enabled
    monthly schedule whether it fell due since its products' last scheduled request (or
    since the schedule was last changed) and records the request itself; recording is
    idempotent, so a late beat message finds the same report.
    """
    import json

    from django.db.models import Max
    from django_celery_beat.models import PeriodicTask

    reports = []
    for task in (PeriodicTask.objects.filter(enabled=True, task="reports.request_scheduled_reports",
                                             crontab__isnull=False).select_related("crontab")):
        codes = json.loads(task.kwargs or "{}").get("product_codes")
        requests = AggregateReport.objects.filter(scheduled=True)
        if codes:
            requests = requests.filter(product__code__in=codes)
        since = requests.aggregate(last=Max("requested_at"))["last"] or task.date_changed
        if task.crontab.schedule.is_due(since).is_due:
            reports += scheduled_reports_request(product_codes=codes)
    return reports


def scheduled_reports_request(*, product_codes=None, as_of=None) -> list[AggregateReport]:
    """The beat job: record one all-sites report per product against its current reference profile,
    as of the end of the previous month unless `as_of` is given."""
    from apps.core.models import today
    from apps.products.models import Product

    as_of = as_of or today().replace(day=1) - timedelta(days=1)

    products = Product.objects.all()
    if product_codes:
        products = products.filter(code__in=product_codes)
    reports = []
    for product in products:
        if product.current_reference_profile() is None:
            logger.warning("No current reference profile for %s: no scheduled report.", product.code)
            continue
        with transaction.atomic():
            reports.append(report_request(product=product, as_of=as_of, scheduled=True))
    return reports
