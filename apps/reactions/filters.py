import django_filters
from django import forms

from apps.accounts.models import Site
from apps.core.widgets import DateRangeWidget
from apps.patients.filters import IncludeVoidedMixin
from apps.products.models import Product

from .choices import CtcaeGrade, Outcome, Severity, Status
from .models import InjectionSiteReaction
from .selectors import matching_ref

YES_NO = (("yes", "Yes"), ("no", "No"))


ANY_YES_NO = forms.Select(choices=[("", "Any"), ("true", "Yes"), ("false", "No")])


class ReactionFilter(IncludeVoidedMixin):
    site = django_filters.ModelChoiceFilter(field_name="patient__site", queryset=Site.objects.all(), label="Site",
                                            method="filter_site")
    product = django_filters.ModelChoiceFilter(queryset=Product.objects.all())
    severity = django_filters.ChoiceFilter(choices=Severity.choices)
    ctcae_grade = django_filters.ChoiceFilter(choices=CtcaeGrade.choices, label="CTCAE grade")
    serious = django_filters.ChoiceFilter(choices=YES_NO, method="filter_serious", label="Serious (ICH E2A)")
    outcome = django_filters.ChoiceFilter(choices=Outcome.choices)
    status = django_filters.ChoiceFilter(choices=Status.choices)
    ongoing = django_filters.BooleanFilter(field_name="resolution_date", lookup_expr="isnull", label="Ongoing",
                                        widget=ANY_YES_NO)
    onset_date = django_filters.DateFromToRangeFilter(widget=DateRangeWidget, label="Onset between")
    search = django_filters.CharFilter(method="filter_search", label="Reaction or patient ref")

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
        return queryset.at_site(value.pk)

    def filter_search(self, queryset, name, value):
        return matching_ref(queryset, value)
