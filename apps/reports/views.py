"""Report pages: list, run now, status, detail with charts, JSON/CSV downloads.

Reports are for analysts, reviewers and admins; reporters get 403. A site-bound user sees
only reports filtered to their own site (others are 404 to them).
"""
import csv
import io
import json

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _, override

from apps.core.downloads import download
from apps.core.policy import access, may_run_reports
from apps.products.models import Product

from . import charts, exports, schedules, selectors, services
from .forms import RunReportForm, ScheduleForm
from .models import ReportStatus

REFRESH_SECONDS = 2


reports_access = access(may_run_reports)


def _get_report(request, pk):
    return get_object_or_404(selectors.reports_visible_to(request.user).select_related("same_as"), pk=pk)


@reports_access
def report_list(request):
    page = Paginator(selectors.report_list(user=request.user), 25).get_page(request.GET.get("page"))
    return render(request, "reports/list.html", {
        "page": page, "schedules": schedules.product_schedules(),
        "can_change_schedules": schedules.can_change_schedules(request.user)})


@reports_access
def report_schedule(request, product_code):
    """An admin changes a product's monthly schedule (day, time, enabled)."""
    if not schedules.can_change_schedules(request.user):
        raise PermissionDenied(_("Only administrators change report schedules."))
    product = get_object_or_404(Product, code=product_code)
    current = next(row for row in schedules.product_schedules() if row.product == product)
    initial = {"day_of_month": 1, "hour": 6, "minute": 0, "enabled": True}
    if current.task is not None and current.task.crontab is not None:
        crontab = current.task.crontab
        if crontab.day_of_month.isdigit() and crontab.hour.isdigit() and crontab.minute.isdigit():
            initial = {"day_of_month": int(crontab.day_of_month), "hour": int(crontab.hour),
                       "minute": int(crontab.minute), "enabled": current.task.enabled}
    form = ScheduleForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            schedules.report_schedule_update(product=product, actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, _("The monthly report of %(product)s is rescheduled.") % {"product": product})
            return redirect("reports:list")
    return render(request, "core/form_page.html", {
        "form": form, "page_title": _("Monthly report schedule of %(product)s") % {"product": product}, "cancel_url": reverse("reports:list"),
        "submit_label": _("Save schedule")}, status=400 if form.errors else 200)


@reports_access
def report_run_now(request):
    form = RunReportForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            report = services.report_request(
                product=data["product"], as_of=data["as_of"], site=data["site"],
                dose_mg_per_day=data["dose_mg_per_day"], exposure_start_from=data["exposure_start_from"],
                exposure_start_to=data["exposure_start_to"], reference_profile=data["reference_profile"],
                requested_by=request.user)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            if report.status == ReportStatus.DONE:
                messages.info(request, _("The data have not changed since report #%(pk)s: here it is.") % {"pk": report.pk})
            else:
                messages.success(request, _("Report #%(pk)s is queued; this page updates when it is done.") % {"pk": report.pk})
            return redirect("reports:detail", pk=report.pk)
    return render(request, "reports/run.html", {"form": form}, status=400 if form.errors else 200)


@reports_access
def report_detail(request, pk):
    report = _get_report(request, pk)
    if report.status == ReportStatus.DUPLICATE and report.same_as_id:
        return redirect("reports:detail", pk=report.same_as_id)
    context = {"report": report, "parameters": exports.report_parameters(report),
               "refresh_seconds": REFRESH_SECONDS}
    if report.status == ReportStatus.DONE:
        context.update(rows=exports.measure_rows(report), charts=charts.report_charts(report),
                       definitions=exports.definitions(report),
                       comparisons=exports.comparisons(report),
                       monitoring=[{**section, "chart": charts.monitoring(section["label"], section["looks"])}
                                   for section in selectors.monitoring_sections(report)],
                       monitoring_plan=selectors.monitoring_plan_of(report))
    return render(request, "reports/detail.html", context)


@reports_access
def report_status(request, pk):
    report = _get_report(request, pk)
    target = report.same_as_id if report.status == ReportStatus.DUPLICATE else report.pk
    return JsonResponse({"id": report.pk, "status": report.status, "finished": report.is_finished,
                         "error": report.error or None, "url": reverse("reports:detail", args=[target])})


def _filename(report, extension):
    site = report.site.code if report.site_id else "all-sites"
    return f"isr-report-{report.pk}-{report.product.code}-{site}-{report.as_of.isoformat()}.{extension}"


@reports_access
def report_download_json(request, pk):
    report = _get_report(request, pk)
    if report.status != ReportStatus.DONE:
        return JsonResponse({"error": _("Report #%(pk)s is %(status)s, not done.") % {"pk": report.pk, "status": report.status}}, status=409)
    with override("en"):  # the downloads are English whatever the reader's language, like the stored report
        body = json.dumps(exports.report_export(report), indent=2)
    return download(request, body,
                    content_type="application/json", filename=_filename(report, "json"))


@reports_access
def report_download_csv(request, pk):
    report = _get_report(request, pk)
    if report.status != ReportStatus.DONE:
        return HttpResponse(_("Report #%(pk)s is %(status)s, not done.") % {"pk": report.pk, "status": report.status}, status=409,
                            content_type="text/plain")
    content = io.StringIO()
    with override("en"):  # English whatever the reader's language, like the stored report
        csv.writer(content).writerows(exports.report_csv_rows(report))
    return download(request, content.getvalue(), content_type="text/csv; charset=utf-8",
                    filename=_filename(report, "csv"))
