from django.contrib import admin

from apps.core.admin import ClinicalRecordAdmin

from .models import ExposurePeriod


@admin.register(ExposurePeriod)
class ExposurePeriodAdmin(ClinicalRecordAdmin):
    """Read-only: data entry and the workflow go through the web forms and their services."""

    list_display = ("patient", "product", "start_date", "end_date", "dose_mg_per_day", "voided_at")
    list_filter = ("product", "patient__site")
    search_fields = ("patient__patient_ref", "lot_number")
    readonly_fields = ("voided_at", "voided_by", "void_reason", "created_at", "updated_at")
    raw_id_fields = ("patient",)
