from django.contrib import admin

from apps.core.admin import AuditedHistoryAdmin

from .models import Product, ReferenceProfile
from .services import reference_profile_make_primary


@admin.register(Product)
class ProductAdmin(AuditedHistoryAdmin):
    list_display = ("code", "name", "route", "risk_window_days")


@admin.register(ReferenceProfile)
class ReferenceProfileAdmin(AuditedHistoryAdmin):
    list_display = ("product", "label", "effective_date", "isr_incidence", "mild_moderate_share",
                    "follow_up_horizon_days", "is_current", "is_primary")
    list_filter = ("product", "is_current", "is_primary")
    actions = ["make_primary"]

    def save_model(self, request, obj, form, change):
        if obj.is_primary:
            reference_profile_make_primary(profile=obj)
        else:
            super().save_model(request, obj, form, change)

    @admin.action(description="Make the selected profile primary (and current) for its product")
    def make_primary(self, request, queryset):
        for profile in queryset:
            reference_profile_make_primary(profile=profile)
