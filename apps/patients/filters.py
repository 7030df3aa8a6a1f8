import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from apps.accounts.models import Site
from apps.core.roles import scoped_site
from apps.core.policy import may_see_voided

from .models import Patient, Sex


class IncludeVoidedMixin(django_filters.FilterSet):
    """An 'include voided' box for reviewers; the view passes it to the selector."""

    include_voided = django_filters.BooleanFilter(label=_("Include voided"), method="keep",
                                                  widget=forms.CheckboxInput)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        if user is None or not may_see_voided(user):
            self.filters.pop("include_voided", None)
        site = scoped_site(user) if user is not None else None
        for name, flt in self.filters.items():
            if isinstance(flt, (django_filters.ChoiceFilter, django_filters.ModelChoiceFilter)):
                flt.extra["empty_label"] = _("Any")
            if getattr(flt, "queryset", None) is not None and flt.queryset.model is Site and site is not None:
                flt.queryset = Site.objects.filter(pk=site.pk)

    def keep(self, queryset, name, value):
        return queryset


class PatientFilter(IncludeVoidedMixin):
    site = django_filters.ModelChoiceFilter(queryset=Site.objects.all(), label=_("Site"))
    sex = django_filters.ChoiceFilter(choices=Sex.choices, label=_("Sex"))
    patient_ref = django_filters.CharFilter(lookup_expr="icontains", label=_("Patient reference contains"))

    class Meta:
        model = Patient
        fields = ["site", "sex", "patient_ref"]
