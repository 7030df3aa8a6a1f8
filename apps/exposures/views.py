"""Exposure-period screens: thin views over the selectors (reads), the policy and the services (writes)."""
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.core.policy import may_review
from apps.core.views import HistoryView, RecordDetailView, RecordFormView, ScopedListView, VoidView
from apps.patients.selectors import patient_get
from apps.products.models import Product

from . import policies
from .filters import ExposureFilter
from .forms import ExposureForm
from .selectors import exposure_get, exposure_list, latest_exposed_product
from .services import exposure_create, exposure_update, exposure_void
from .tables import ExposureTable


class ExposureRecordMixin:
    def get_record(self):
        return exposure_get(user=self.request.user, pk=self.kwargs["pk"])


class ExposureListView(ScopedListView):
    table_class = ExposureTable
    filterset_class = ExposureFilter
    export_name = "exposures"
    page_title = gettext_lazy("Exposure periods")

    def list_queryset(self, *, user, include_voided):
        return exposure_list(user=user, include_voided=include_voided)


class ExposureCreateView(RecordFormView):
    """A new period of a patient: the record checked is the patient."""

    form_class = ExposureForm

    def get_record(self):
        return patient_get(user=self.request.user, pk=self.kwargs["patient_pk"])

    def decide(self, record):
        return policies.may_add(self.request.user, record)

    def get_initial(self):
        """Preselect the product the patient was last exposed to (or the only product there is).

        Only for the empty form: a POST brings its own product, so it skips these queries."""
        if self.request.method != "GET":
            return {}
        product = latest_exposed_product(self.record)
        if product is None:
            products = list(Product.objects.all()[:2])
            product = products[0] if len(products) == 1 else None
        return {"product": product.pk} if product else {}

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "ask_reason": bool(may_review(self.request.user))}

    def perform(self, form):
        return exposure_create(patient=self.record, actor=self.request.user, **form.cleaned_data)

    def get_success_url(self):
        return self.record.get_absolute_url()

    def get_context_data(self, **kwargs):
        return super().get_context_data(page_title=_("New exposure period · patient %(patient)s") % {"patient": self.record.patient_ref},
                                        **kwargs)


class ExposureUpdateView(ExposureRecordMixin, RecordFormView):
    form_class = ExposureForm

    def decide(self, record):
        return policies.may_edit(self.request.user, record)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "instance": self.record,
                "ask_reason": bool(may_review(self.request.user))}

    def perform(self, form):
        return exposure_update(period=self.record, actor=self.request.user, expected_version=form.expected_version(),
                               **form.cleaned_data)

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            page_title=_("Edit exposure period · patient %(patient)s") % {"patient": self.record.patient.patient_ref}, **kwargs)


class ExposureDetailView(ExposureRecordMixin, RecordDetailView):
    template_name = "exposures/detail.html"
    context_object_name = "period"

    def record_actions(self, record):
        return policies.actions(self.request.user, record)


class ExposureVoidView(ExposureRecordMixin, VoidView):
    page_title = gettext_lazy("Void exposure period")

    def decide(self, record):
        return policies.may_void(self.request.user, record)

    def void(self, record, reason, signature):
        return exposure_void(period=record, actor=self.request.user, reason=reason, signature=signature)


class ExposureHistoryView(ExposureRecordMixin, HistoryView):
    pass
