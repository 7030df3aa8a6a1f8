"""Reads of aggregate reports: listing and visibility. The figures come from apps.cohort.profile."""
from django.db.models import OuterRef, Subquery

from .models import AggregateReport, ReportStatus


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
