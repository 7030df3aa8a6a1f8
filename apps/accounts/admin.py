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
