"""Patient screens: thin views over the selectors (reads), the policy and the services (writes)."""
from django.urls import reverse_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.core.policy import may_see_voided
from apps.core.views import HistoryView, RecordDetailView, RecordFormView, ScopedListView, ServiceFormView, VoidView

from . import policies
from .filters import PatientFilter
from .forms import PatientForm
from .selectors import patient_get, patient_list
from .services import patient_create, patient_update, patient_void
from .tables import PatientTable


class PatientRecordMixin:
    def get_record(self):
        return patient_get(user=self.request.user, pk=self.kwargs["pk"])


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

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def perform(self, form):
        return patient_create(actor=self.request.user, **form.cleaned_data)


class PatientUpdateView(PatientRecordMixin, RecordFormView):
    form_class = PatientForm

    def decide(self, record):
        return policies.may_edit(self.request.user, record)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user, "instance": self.record,
                "ask_reason": bool(policies.locked_cases(self.record))}

    def perform(self, form):
        return patient_update(patient=self.record, actor=self.request.user, expected_version=form.expected_version(),
                              **form.cleaned_data)

    def get_context_data(self, **kwargs):
        return super().get_context_data(page_title=_("Edit patient %(patient)s") % {"patient": self.record.patient_ref}, **kwargs)


class PatientDetailView(PatientRecordMixin, RecordDetailView):
    template_name = "patients/detail.html"
    context_object_name = "patient"

    def record_actions(self, record):
        return policies.actions(self.request.user, record)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user, patient = self.request.user, context["patient"]
        # Through the reverse relations: the patient app does not import the apps that depend on it.
        exposures = (patient.exposure_periods.visible_to(user).select_related("product")
                     .order_by("product__code", "start_date"))
        reactions = patient.reactions.visible_to(user).select_related("product")
        if not may_see_voided(user):
            exposures, reactions = exposures.filter(voided_at__isnull=True), reactions.filter(voided_at__isnull=True)
        context.update(exposures=exposures, reactions=reactions)
        return context


class PatientVoidView(PatientRecordMixin, VoidView):
    page_title = gettext_lazy("Void patient")

    def decide(self, record):
        return policies.may_void(self.request.user, record)

    def void(self, record, reason, signature):
        return patient_void(patient=record, actor=self.request.user, reason=reason, signature=signature)


class PatientHistoryView(PatientRecordMixin, HistoryView):
    pass
