from django.contrib import admin

from apps.core.admin import ClinicalRecordAdmin

from .models import Patient


@admin.register(Patient)
class PatientAdmin(ClinicalRecordAdmin):
    """Read-only: data entry and the workflow go through the web forms and their services."""

    list_display = ("patient_ref", "site", "sex", "birth_year", "voided_at")
    list_filter = ("site", "sex")
    search_fields = ("patient_ref",)
    readonly_fields = ("voided_at", "voided_by", "void_reason", "created_at", "updated_at")
