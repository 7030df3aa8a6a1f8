"""Filters of the E2B batch page: which reviewed cases to send."""
import django_filters
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext_lazy as _

from apps.accounts.models import Site
from apps.core.widgets import DateRangeWidget
from apps.patients.filters import IncludeVoidedMixin
from apps.reactions.filters import YES_NO
from apps.reactions.models import InjectionSiteReaction

from .models import E2bExport


class BatchFilter(IncludeVoidedMixin):
    site = django_filters.ModelChoiceFilter(field_name="patient__site", queryset=Site.objects.all(), label=_("Site"))
    onset_date = django_filters.DateFromToRangeFilter(widget=DateRangeWidget, label=_("Onset between"))
    serious = django_filters.ChoiceFilter(choices=YES_NO, method="filter_serious", label=_("Serious (ICH E2A)"))
    not_exported = django_filters.ChoiceFilter(
        choices=(("yes", _("Not yet exported (or changed since)")), ("no", _("Already exported as it is"))),
        method="filter_not_exported", label=_("Export state"))

    class Meta:
        model = InjectionSiteReaction
        fields = ["site", "onset_date", "serious", "not_exported"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters.pop("include_voided", None)  # voided cases are never sent

    def filter_serious(self, queryset, name, value):
        return queryset.exclude(seriousness="") if value == "yes" else queryset.filter(seriousness="")

    def filter_not_exported(self, queryset, name, value):
        sent_as_is = Exists(E2bExport.objects.filter(reaction=OuterRef("pk"), reaction_version=OuterRef("version")))
        return queryset.exclude(sent_as_is) if value == "yes" else queryset.filter(sent_as_is)
