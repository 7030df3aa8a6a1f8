import django_filters
from django.utils.translation import gettext_lazy as _
from django import forms

from apps.accounts.models import Site
from apps.core.widgets import DateRangeWidget
from apps.patients.filters import IncludeVoidedMixin
from apps.patients.selectors import patient_ids_with_ref
from apps.products.models import Product

from .models import ExposurePeriod


# A patient search matching fewer patients than this reads only their periods.
SEARCH_PROBE_PATIENTS = 200

ANY_YES_NO = forms.Select(choices=[("", _("Any")), ("true", _("Yes")), ("false", _("No"))])


class ExposureFilter(IncludeVoidedMixin):
    site = django_filters.ModelChoiceFilter(field_name="patient__site", queryset=Site.objects.all(), label=_("Site"))
    product = django_filters.ModelChoiceFilter(queryset=Product.objects.all(), label=_("Product"))
    ongoing = django_filters.BooleanFilter(field_name="end_date", lookup_expr="isnull", label=_("Ongoing"),
                                        widget=ANY_YES_NO)
    start_date = django_filters.DateFromToRangeFilter(widget=DateRangeWidget, label=_("Start date between"))
    patient = django_filters.CharFilter(field_name="patient__patient_ref", method="filter_patient",
                                        label=_("Patient reference contains"))

    class Meta:
        model = ExposurePeriod
        fields = ["site", "product", "ongoing", "start_date", "patient"]

    def filter_patient(self, queryset, name, value):
        """A reference few patients have is looked up in the patients index first (see patient_ids_with_ref)."""
        patient_ids = patient_ids_with_ref(value, limit=SEARCH_PROBE_PATIENTS)
        if patient_ids is not None:
            return queryset.filter(patient_id__in=patient_ids)
        return queryset.filter(patient__patient_ref__icontains=value)
