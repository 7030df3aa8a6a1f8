"""Reads of aggregate reports: listing and visibility. The figures come from apps.cohort.profile."""
from django.db.models import OuterRef, Subquery

from .models import AggregateReport, MonitoredMeasure, MonitoringPlan, ReportStatus


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
