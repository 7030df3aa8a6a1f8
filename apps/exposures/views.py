"""Exposure-period screens: thin views over the selectors (reads) and services (writes)."""
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.views.generic import TemplateView
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.core.views import HistoryView, ScopedListView, ServiceFormView, VoidView
from apps.patients.selectors import patient_get
from apps.patients.views import detail_url as patient_url
from apps.patients.views import require_data_entry
from apps.products.models import Product

from .filters import ExposureFilter
from .forms import ExposureForm
from .selectors import exposure_get, exposure_list, latest_exposed_product
from .services import exposure_create, exposure_update, exposure_void
from .tables import ExposureTable


def detail_url(period):
    return reverse("exposures:detail", args=[period.pk])


class ExposureListView(ScopedListView):
    table_class = ExposureTable
    filterset_class = ExposureFilter
    export_name = "exposures"
    page_title = gettext_lazy("Exposure periods")

    def list_queryset(self, *, user, include_voided):
        return exposure_list(user=user, include_voided=include_voided)


class ExposureCreateView(ServiceFormView):
    form_class = ExposureForm

    def check_access(self):
        self.patient = patient_get(user=self.request.user, pk=self.kwargs["patient_pk"])
        require_data_entry(self.request.user)
        if self.patient.is_voided:
            raise PermissionDenied(_("The patient is voided; no exposure can be added."))

    def get_initial(self):
        """Preselect the product the patient was last exposed to (or the only product there is).

        Only for the empty form: a POST brings its own product, so it skips these queries."""
        if self.request.method != "GET":
            return {}
        product = latest_exposed_product(self.patient)
        if product is None:
            products = list(Product.objects.all()[:2])
            product = products[0] if len(products) == 1 else None
        return {"product": product.pk} if product else {}

    def perform(self, form):
        return exposure_create(patient=self.patient, actor=self.request.user, **form.cleaned_data)

    def get_success_url(self):
        return patient_url(self.patient)

    def get_context_data(self, **kwargs):
        return super().get_context_data(page_title=_("New exposure period · patient %(patient)s") % {"patient": self.patient.patient_ref},
                                        cancel_url=patient_url(self.patient), **kwargs)


class ExposureUpdateView(ServiceFormView):
    form_class = ExposureForm

    def check_access(self):
        self.record = exposure_get(user=self.request.user, pk=self.kwargs["pk"])
        require_data_entry(self.request.user)
        if self.record.is_voided:
            raise PermissionDenied(_("The exposure period is voided; voided records cannot be edited."))

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "instance": self.record}

    def perform(self, form):
        return exposure_update(period=self.record, actor=self.request.user, **form.cleaned_data)

    def get_success_url(self):
        return detail_url(self.object)

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            page_title=_("Edit exposure period · patient %(patient)s") % {"patient": self.record.patient.patient_ref},
            cancel_url=detail_url(self.record), **kwargs)


class ExposureDetailView(LoginRequiredMixin, TemplateView):
    template_name = "exposures/detail.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(period=exposure_get(user=self.request.user, pk=self.kwargs["pk"]),
                                        **kwargs)


class ExposureVoidView(VoidView):
    page_title = gettext_lazy("Void exposure period")

    def get_record(self):
        return exposure_get(user=self.request.user, pk=self.kwargs["pk"])

    def detail_url(self, record):
        return detail_url(record)

    def void(self, record, reason):
        return exposure_void(period=record, actor=self.request.user, reason=reason)


class ExposureHistoryView(HistoryView):
    def get_record(self):
        return exposure_get(user=self.request.user, pk=self.kwargs["pk"])

    def detail_url(self, record):
        return detail_url(record)
