from django.contrib import admin

from apps.core.admin import ReadOnlyAdmin

from .models import AggregateReport


@admin.register(AggregateReport)
class AggregateReportAdmin(ReadOnlyAdmin):
    """Read-only: reports are requested through the pages or the schedule, and never edited."""

    list_display = ("id", "product", "as_of", "site", "status", "scheduled", "requested_at", "finished_at")
    list_filter = ("status", "scheduled", "product")
    date_hierarchy = "requested_at"
