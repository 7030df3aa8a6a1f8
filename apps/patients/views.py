"""Patient screens: thin views over the selectors (reads) and services (writes)."""
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.urls import reverse, reverse_lazy
from django.views.generic import TemplateView
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.accounts.roles import can_enter_data
from apps.core.views import HistoryView, ScopedListView, ServiceFormView, VoidView
from apps.exposures.selectors import exposures_of_patient
from apps.reactions.selectors import reactions_of_patient

from .filters import PatientFilter
from .forms import PatientForm
from .selectors import patient_get, patient_list
from .services import patient_create, patient_update, patient_void
from .tables import PatientTable


def detail_url(patient):
    return reverse("patients:detail", args=[patient.pk])


def require_data_entry(user):
    if not can_enter_data(user):
        raise PermissionDenied(_("Your role can read data but cannot enter or change it."))


class PatientListView(ScopedListView):
    table_class = PatientTable
    filterset_class = PatientFilter
    export_name = "patients"
    page_title = gettext_lazy("Patients")
    new_url = reverse_lazy("patients:create")

    def list_queryset(self, *, user, include_voided):
        return patient_list(user=user, include_voided=include_voided)


class PatientCreateView(ServiceFormView):
    form_class = PatientForm
    page_title = gettext_lazy("New patient")
    cancel_url = reverse_lazy("patients:list")

    def check_access(self):
        require_data_entry(self.request.user)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def perform(self, form):
        return patient_create(actor=self.request.user, **form.cleaned_data)

    def get_success_url(self):
        return detail_url(self.object)


class PatientUpdateView(ServiceFormView):
    form_class = PatientForm

    def check_access(self):
        self.record = patient_get(user=self.request.user, pk=self.kwargs["pk"])
        require_data_entry(self.request.user)
        if self.record.is_voided:
            raise PermissionDenied(_("The patient is voided; voided records cannot be edited."))

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user, "instance": self.record}

    def perform(self, form):
        return patient_update(patient=self.record, actor=self.request.user, **form.cleaned_data)

    def get_success_url(self):
        return detail_url(self.object)

    def get_context_data(self, **kwargs):
        return super().get_context_data(page_title=_("Edit patient %(patient)s") % {"patient": self.record.patient_ref},
                                        cancel_url=detail_url(self.record), **kwargs)


class PatientDetailView(LoginRequiredMixin, TemplateView):
    template_name = "patients/detail.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        patient = patient_get(user=user, pk=self.kwargs["pk"])
        exposures = exposures_of_patient(user=user, patient=patient)
        reactions = reactions_of_patient(user=user, patient=patient)
        return super().get_context_data(patient=patient, exposures=exposures, reactions=reactions, **kwargs)


class PatientVoidView(VoidView):
    page_title = gettext_lazy("Void patient")

    def get_record(self):
        return patient_get(user=self.request.user, pk=self.kwargs["pk"])

    def detail_url(self, record):
        return detail_url(record)

    def void(self, record, reason):
        return patient_void(patient=record, actor=self.request.user, reason=reason)


class PatientHistoryView(HistoryView):
    def get_record(self):
        return patient_get(user=self.request.user, pk=self.kwargs["pk"])

    def detail_url(self, record):
        return detail_url(record)
