"""Reads of aggregate reports: listing and visibility. The figures come from apps.cohort.profile."""
from apps.products.models import Product

from .models import AggregateReport, ReportStatus


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
