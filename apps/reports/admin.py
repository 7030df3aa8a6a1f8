from django.contrib import admin

from .models import AggregateReport


@admin.register(AggregateReport)
class AggregateReportAdmin(admin.ModelAdmin):
    """Read-only: reports are requested through the pages or the schedule, and never edited."""

    list_display = ("id", "product", "as_of", "site", "status", "scheduled", "requested_at", "finished_at")
    list_filter = ("status", "scheduled", "product")
    date_hierarchy = "requested_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
