from django.contrib import admin

from apps.core.admin import ClinicalRecordAdmin

from .models import InjectionSiteReaction


@admin.register(InjectionSiteReaction)
class InjectionSiteReactionAdmin(ClinicalRecordAdmin):
    """Read-only: data entry and the workflow go through the web forms and their services."""

    list_display = ("reaction_ref", "patient", "product", "onset_date", "severity", "outcome", "status",
                    "voided_at")
    list_filter = ("status", "severity", "outcome", "product", "patient__site")
    search_fields = ("reaction_ref", "patient__patient_ref")
    readonly_fields = ("status", "reviewed_by", "reviewed_at", "late_onset_flag", "duplicate_confirmed",
                       "version", "voided_at", "voided_by", "void_reason", "created_at", "updated_at")
    raw_id_fields = ("patient", "reporter")
