from axes.admin import AccessFailureLogAdmin, AccessLogAdmin
from axes.models import AccessFailureLog, AccessLog
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from .models import Site, User


@admin.register(User)
class PvUserAdmin(UserAdmin):
    fieldsets = UserAdmin.fieldsets + (("Site scope", {"fields": ("site",)}),)
    list_display = ("username", "email", "site", "is_staff", "is_active")
    list_filter = ("site", "groups", "is_staff", "is_active")


@admin.register(Site)
class SiteAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "country")
    search_fields = ("code", "name")


class LoginLogAdmin:
    """django-axes' login logs are evidence: readable, never edited or deleted through the application."""

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


for _model, _admin in ((AccessLog, AccessLogAdmin), (AccessFailureLog, AccessFailureLogAdmin)):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)
    admin.site.register(_model, type(_admin.__name__, (LoginLogAdmin, _admin), {}))
