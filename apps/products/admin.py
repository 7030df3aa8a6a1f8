from django.contrib import admin

from apps.core.admin import AuditedHistoryAdmin

from .models import Product, ReferenceProfile
from .services import reference_profile_make_current


@admin.register(Product)
class ProductAdmin(AuditedHistoryAdmin):
    list_display = ("code", "name", "route")


@admin.register(ReferenceProfile)
class ReferenceProfileAdmin(AuditedHistoryAdmin):
    list_display = ("product", "label", "effective_date", "isr_incidence", "mild_moderate_share", "is_current")
    list_filter = ("product", "is_current")
    actions = ["make_current"]

    def save_model(self, request, obj, form, change):
        if obj.is_current:
            reference_profile_make_current(profile=obj)
        else:
            super().save_model(request, obj, form, change)

    @admin.action(description="Make the selected profile current for its product")
    def make_current(self, request, queryset):
        for profile in queryset:
            reference_profile_make_current(profile=profile)
