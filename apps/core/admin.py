"""Admin bases: read-only records, and models with an audit trail (django-simple-history)."""
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from simple_history.admin import SimpleHistoryAdmin

from apps.accounts.roles import Role, role_names


class ReadOnlyAdmin(admin.ModelAdmin):
    """Admin for records that only the application writes (exports, snapshots, dictionaries)."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class AuditedHistoryAdmin(SimpleHistoryAdmin):
    """History can be read by staff with view permission, but only superusers and the admin role
    (with change permission) may revert a record to an older version.

    simple-history saves a POSTed revert form for anyone allowed to *view* the history, so the
    POST is checked here too.
    """

    def has_change_history_permission(self, request, obj=None):
        return Role.ADMIN in role_names(request.user) and super().has_change_history_permission(request, obj)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method == "POST" and not self.has_change_history_permission(request):
            raise PermissionDenied("Only administrators may revert a record to an older version.")
        return super().history_form_view(request, object_id, version_id, extra_context)
