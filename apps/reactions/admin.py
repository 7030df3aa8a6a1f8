from django.contrib import admin

from apps.core.admin import AuditedHistoryAdmin

from .models import InjectionSiteReaction


@admin.register(InjectionSiteReaction)
class InjectionSiteReactionAdmin(AuditedHistoryAdmin):
    """Read-mostly admin: data entry and the review workflow go through the web forms and services."""

    list_display = ("reaction_ref", "patient", "product", "onset_date", "severity", "outcome", "status",
                    "voided_at")
    list_filter = ("status", "severity", "outcome", "product", "patient__site")
    search_fields = ("reaction_ref", "patient__patient_ref")
    readonly_fields = ("status", "reviewed_by", "reviewed_at", "late_onset_flag", "duplicate_confirmed",
                       "version", "voided_at", "voided_by", "void_reason", "created_at", "updated_at")
    raw_id_fields = ("patient", "reporter")

    def has_delete_permission(self, request, obj=None):
        return False
