from django import forms
from django.utils.translation import gettext_lazy as _

from apps.accounts.models import Site
from apps.core.roles import scoped_site
from apps.core.forms import ReasonForChangeMixin, ServiceModelForm, VersionedFormMixin

from .models import Patient


class PatientForm(VersionedFormMixin, ReasonForChangeMixin, ServiceModelForm):
    class Meta:
        model = Patient
        fields = ["site", "patient_ref", "sex", "birth_year"]
        help_texts = {"birth_year": _("Year only (never the full date of birth).")}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        site = scoped_site(user)
        if site is not None:
            self.fields["site"].queryset = Site.objects.filter(pk=site.pk)
            self.fields["site"].initial = site.pk
            self.fields["site"].empty_label = None
        self.fields["patient_ref"].widget.attrs["autocomplete"] = "off"
        self.fields["birth_year"].widget = forms.NumberInput(attrs={"min": 1900, "max": 2100})
