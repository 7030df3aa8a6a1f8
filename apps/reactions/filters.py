import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from apps.accounts.models import Site
from apps.core.widgets import DateRangeWidget
from apps.patients.filters import IncludeVoidedMixin
from apps.products.models import Product

from .choices import CtcaeGrade, Outcome, Severity, Status
from .models import InjectionSiteReaction
from .selectors import at_site, matching_ref

YES_NO = (("yes", _("Yes")), ("no", _("No")))


ANY_YES_NO = forms.Select(choices=[("", _("Any")), ("true", _("Yes")), ("false", _("No"))])


class ReactionFilter(IncludeVoidedMixin):
    site = django_filters.ModelChoiceFilter(field_name="patient__site", queryset=Site.objects.all(), label=_("Site"),
                                            method="filter_site")
    product = django_filters.ModelChoiceFilter(queryset=Product.objects.all(), label=_("Product"))
    severity = django_filters.ChoiceFilter(choices=Severity.choices, label=_("Severity"))
    ctcae_grade = django_filters.ChoiceFilter(choices=CtcaeGrade.choices, label=_("CTCAE grade"))
    serious = django_filters.ChoiceFilter(choices=YES_NO, method="filter_serious", label=_("Serious (ICH E2A)"))
    outcome = django_filters.ChoiceFilter(choices=Outcome.choices, label=_("Outcome"))
    status = django_filters.ChoiceFilter(choices=Status.choices, label=_("Status"))
    ongoing = django_filters.BooleanFilter(field_name="resolution_date", lookup_expr="isnull", label=_("Ongoing"),
                                        widget=ANY_YES_NO)
    onset_date = django_filters.DateFromToRangeFilter(widget=DateRangeWidget, label=_("Onset between"))
    search = django_filters.CharFilter(method="filter_search", label=_("Reaction or patient ref"))

    class Meta:
        model = InjectionSiteReaction
        fields = ["site", "product", "severity", "ctcae_grade", "serious", "outcome", "status", "ongoing",
                  "onset_date", "search"]

    def filter_serious(self, queryset, name, value):
        # An empty multi-select is stored as "", so "not serious" is exactly that.
        if value == "yes":
            return queryset.exclude(seriousness="")
        return queryset.filter(seriousness="")

    def filter_site(self, queryset, name, value):
        return at_site(queryset, value)

    def filter_search(self, queryset, name, value):
        return matching_ref(queryset, value)
