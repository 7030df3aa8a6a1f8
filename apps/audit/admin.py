from django.contrib import admin

from apps.core.admin import AuditedHistoryAdmin, ReadOnlyAdmin

from .models import AccessEvent, ComplianceSettings, Signature


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
