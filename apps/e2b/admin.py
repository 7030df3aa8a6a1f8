from django.contrib import admin

from apps.core.admin import AuditedHistoryAdmin, ReadOnlyAdmin

from .models import E2bExport, IncomingBatch, IncomingCase, IsrTerm, MeddraTerm, SenderOrganisation


@admin.register(SenderOrganisation)
class SenderOrganisationAdmin(AuditedHistoryAdmin):
    list_display = ("organisation_name", "sender_identifier", "receiver_identifier", "country", "meddra_version",
                    "report_type")

    def has_add_permission(self, request):
        return not SenderOrganisation.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(IsrTerm)
class IsrTermAdmin(admin.ModelAdmin):
    list_display = ("llt_code", "llt_name", "meddra_version", "active")
    list_filter = ("meddra_version", "active")
    search_fields = ("llt_code", "llt_name")


@admin.register(MeddraTerm)
class MeddraTermAdmin(ReadOnlyAdmin):
    """Read-only: the dictionary is loaded with `manage.py import_meddra`."""

    list_display = ("llt_code", "llt_name", "pt_code", "pt_name", "version", "current")
    list_filter = ("version", "current")
    search_fields = ("llt_code", "llt_name", "pt_code")


@admin.register(E2bExport)
class E2bExportAdmin(ReadOnlyAdmin):
    """Read-only: the record of what was sent."""

    list_display = ("case_id", "version_number", "reaction", "created_at", "created_by", "batch_id")
    search_fields = ("case_id", "batch_id", "reaction__reaction_ref")
    list_select_related = ("reaction", "created_by")


@admin.register(IncomingBatch)
class IncomingBatchAdmin(ReadOnlyAdmin):
    """Read-only: what was received and the acknowledgement returned."""

    list_display = ("received_at", "filename", "batch_id", "batch_sender", "status", "received_by")
    list_filter = ("status",)
    search_fields = ("batch_id", "filename", "sha256")


@admin.register(IncomingCase)
class IncomingCaseAdmin(ReadOnlyAdmin):
    """Read-only: triage happens in the inbox (/e2b/inbox/)."""

    list_display = ("case_id", "worldwide_id", "sender", "triage", "is_nullification", "batch")
    list_filter = ("triage", "is_nullification")
    search_fields = ("case_id", "worldwide_id", "message_id")
    list_select_related = ("batch",)
