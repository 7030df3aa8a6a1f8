from django import forms
from django.contrib import admin

from apps.core.admin import AuditedHistoryAdmin
from apps.core.services import check_version

from .models import Product, ReferenceProfile
from .services import reference_profile_make_primary


@admin.register(Product)
class ProductAdmin(AuditedHistoryAdmin):
    list_display = ("code", "name", "route", "risk_window_days")


class ReferenceProfileForm(forms.ModelForm):
    """Carries the version it showed (as `seen_version`: the admin reserves the model's own field name)."""

    seen_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = ReferenceProfile
        fields = "__all__"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["seen_version"].initial = self.instance.version if self.instance.pk else None

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk is not None:
            stored = ReferenceProfile.objects.get(pk=self.instance.pk)
            check_version(stored, cleaned.get("seen_version"), "reference profile")
        return cleaned


@admin.register(ReferenceProfile)
class ReferenceProfileAdmin(AuditedHistoryAdmin):
    form = ReferenceProfileForm
    list_display = ("product", "label", "effective_date", "isr_incidence", "mild_moderate_share",
                    "follow_up_horizon_days", "is_current", "is_primary")
    list_filter = ("product", "is_current", "is_primary")
    actions = ["make_primary"]

    def save_model(self, request, obj, form, change):
        if change:
            obj.version += 1
        if obj.is_primary:
            reference_profile_make_primary(profile=obj)
        else:
            super().save_model(request, obj, form, change)

    @admin.action(description="Make the selected profile primary (and current) for its product")
    def make_primary(self, request, queryset):
        for profile in queryset:
            reference_profile_make_primary(profile=profile)
