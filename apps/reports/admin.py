from django.contrib import admin

from apps.core.admin import AuditedHistoryAdmin, ReadOnlyAdmin

from .models import AggregateReport, MonitoringLook, MonitoringPlan


@admin.register(AggregateReport)
class AggregateReportAdmin(ReadOnlyAdmin):
    """Read-only: reports are requested through the pages or the schedule, and never edited."""

    list_display = ("id", "product", "as_of", "site", "status", "scheduled", "requested_at", "finished_at")
    list_filter = ("status", "scheduled", "product")
    date_hierarchy = "requested_at"


@admin.register(MonitoringPlan)
class MonitoringPlanAdmin(AuditedHistoryAdmin):
    """Plans are edited here; once a plan has looks its design is fixed (the model's clean refuses changes)."""

    list_display = ("product", "reference_profile", "start_date", "max_cohort_patients", "alpha", "spending")
    list_filter = ("product", "spending")

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(MonitoringLook)
class MonitoringLookAdmin(ReadOnlyAdmin):
    """Looks are recorded by scheduled reports only."""

    list_display = ("plan", "measure", "as_of", "n", "x", "information_fraction", "z", "critical_value", "signal")
    list_filter = ("plan", "measure", "signal")
