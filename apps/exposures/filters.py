import django_filters
from django import forms

from apps.accounts.models import Site
from apps.core.widgets import DateRangeWidget
from apps.patients.filters import IncludeVoidedMixin
from apps.products.models import Product

from .models import ExposurePeriod


ANY_YES_NO = forms.Select(choices=[("", "Any"), ("true", "Yes"), ("false", "No")])


class ExposureFilter(IncludeVoidedMixin):
    site = django_filters.ModelChoiceFilter(field_name="patient__site", queryset=Site.objects.all(), label="Site")
    product = django_filters.ModelChoiceFilter(queryset=Product.objects.all())
    ongoing = django_filters.BooleanFilter(field_name="end_date", lookup_expr="isnull", label="Ongoing",
                                        widget=ANY_YES_NO)
    start_date = django_filters.DateFromToRangeFilter(widget=DateRangeWidget, label="Start date between")
    patient = django_filters.CharFilter(field_name="patient__patient_ref", lookup_expr="icontains",
                                        label="Patient reference contains")

    class Meta:
        model = ExposurePeriod
        fields = ["site", "product", "ongoing", "start_date", "patient"]
