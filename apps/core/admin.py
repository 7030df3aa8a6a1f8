"""Admin bases: read-only records, and models with an audit trail (django-simple-history); and the admin of
the audit records themselves (apps.audit holds only records and the code that writes them, below core).

The admin never rewrites history: no revert to an older version (it would set a reviewed case back to
a draft with an old version number), no hard delete of audited records.
"""
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from simple_history.admin import SimpleHistoryAdmin

from apps.audit.models import AccessEvent, ComplianceSettings, Signature


class ReadOnlyAdmin(admin.ModelAdmin):
    """Admin for records that only the application writes (exports, snapshots, dictionaries, logs)."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class AuditedHistoryAdmin(SimpleHistoryAdmin):
    """History can be read by staff with view permission; nobody reverts a record or deletes it."""

    def has_change_history_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method == "POST":
            raise PermissionDenied("Records are never reverted to an older version; make a new change "
                                   "with a reason through the application.")
        return super().history_form_view(request, object_id, version_id, extra_context)


class ClinicalRecordAdmin(AuditedHistoryAdmin):
    """Patients, exposures and reactions: read-only in the admin. Every change goes through the web forms
    and their services, which apply the access policy, the lock of reviewed cases and the reason for change."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(AccessEvent)
class AccessEventAdmin(ReadOnlyAdmin):
    list_display = ("at", "kind", "username", "what", "rows", "ip_address")
    list_filter = ("kind",)
    search_fields = ("username", "what")


@admin.register(Signature)
class SignatureAdmin(ReadOnlyAdmin):
    list_display = ("signed_at", "printed_name", "act", "meaning", "record_type", "record_id")
    list_filter = ("act", "meaning")


@admin.register(ComplianceSettings)
class ComplianceSettingsAdmin(AuditedHistoryAdmin):
    list_display = ("__str__", "allow_self_review")

    def has_add_permission(self, request):
        return not ComplianceSettings.objects.exists()
