"""Reaction screens: thin views over the selectors (reads), the policy and the services (writes)."""
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.views import View

from apps.core import policy
from apps.core.views import HistoryView, RecordDetailView, RecordFormView, ScopedListView, VoidView
from apps.patients.selectors import patient_get

from . import policies
from .choices import Status
from .filters import ReactionFilter
from .forms import ReactionCreateForm, ReactionReviewForm, ReactionUpdateForm
from .selectors import reaction_get, reaction_list
from .services import reaction_create, reaction_review, reaction_submit, reaction_update, reaction_void
from .tables import ReactionTable


class ReactionRecordMixin:
    def get_record(self):
        return reaction_get(user=self.request.user, pk=self.kwargs["pk"])


class ReactionListView(ScopedListView):
    template_name = "reactions/list.html"
    table_class = ReactionTable
    filterset_class = ReactionFilter
    export_name = "reactions"
    page_title = "Injection-site reactions"

    def list_queryset(self, *, user, include_voided):
        return reaction_list(user=user, include_voided=include_voided)


class ReactionCreateView(RecordFormView):
    """A new reaction of a patient: the record checked is the patient."""

    form_class = ReactionCreateForm
    template_name = "reactions/form.html"

    def get_record(self):
        return patient_get(user=self.request.user, pk=self.kwargs["patient_pk"])

    def decide(self, record):
        return policies.may_create(self.request.user, record)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user, "patient": self.record}

    def perform(self, form):
        data = dict(form.cleaned_data)
        confirm = data.pop("confirm_duplicate", False)
        return reaction_create(patient=self.record, actor=self.request.user, confirm_duplicate=confirm, **data)

    def get_success_url(self):
        messages.success(self.request, f"Reaction {self.object.reaction_ref} saved as a draft.")
        return super().get_success_url()

    def get_context_data(self, **kwargs):
        return super().get_context_data(page_title=f"New injection-site reaction · patient {self.record.patient_ref}",
                                        patient=self.record, **kwargs)


class ReactionUpdateView(ReactionRecordMixin, RecordFormView):
    form_class = ReactionUpdateForm
    template_name = "reactions/form.html"

    def decide(self, record):
        return policies.may_edit(self.request.user, record)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user, "instance": self.record,
                "ask_reason": self.record.status != Status.DRAFT}

    def perform(self, form):
        version = form.expected_version()
        data = dict(form.cleaned_data)
        confirm = data.pop("confirm_duplicate", False)
        return reaction_update(reaction=self.record, actor=self.request.user, expected_version=version,
                               confirm_duplicate=confirm, **data)

    def get_success_url(self):
        messages.success(self.request, f"Reaction {self.object.reaction_ref} updated.")
        return super().get_success_url()

    def get_context_data(self, **kwargs):
        return super().get_context_data(page_title=f"Edit reaction {self.record.reaction_ref}",
                                        patient=self.record.patient, reaction=self.record, **kwargs)


class ReactionDetailView(ReactionRecordMixin, RecordDetailView):
    template_name = "reactions/detail.html"
    context_object_name = "reaction"

    def record_actions(self, record):
        return policies.actions(self.request.user, record)


class ReactionSubmitView(View):
    """Draft → submitted (POST only); afterwards only reviewers may change it."""

    access = policy.may_enter_data
    http_method_names = ["post"]

    def post(self, request, pk):
        reaction = reaction_get(user=request.user, pk=pk)
        policies.may_submit(request.user, reaction).require()
        try:
            reaction_submit(reaction=reaction, actor=request.user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, f"Reaction {reaction.reaction_ref} submitted for review.")
        return redirect(reaction)


class ReactionReviewView(ReactionRecordMixin, RecordFormView):
    access = policy.may_review
    form_class = ReactionReviewForm
    template_name = "reactions/review.html"

    def decide(self, record):
        return policies.may_review_case(self.request.user, record)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "instance": self.record, "signing_request": self.request}

    def perform(self, form):
        return reaction_review(reaction=self.record, actor=self.request.user, signature=form.signature,
                               **form.cleaned_data)

    def get_success_url(self):
        messages.success(self.request, f"Reaction {self.object.reaction_ref} reviewed and locked.")
        return super().get_success_url()

    def get_context_data(self, **kwargs):
        return super().get_context_data(page_title=f"Review reaction {self.record.reaction_ref}",
                                        reaction=self.record, **kwargs)


class ReactionVoidView(ReactionRecordMixin, VoidView):
    page_title = "Void reaction"

    def decide(self, record):
        return policies.may_void(self.request.user, record)

    def void(self, record, reason, signature):
        return reaction_void(reaction=record, actor=self.request.user, reason=reason, signature=signature)


class ReactionHistoryView(ReactionRecordMixin, HistoryView):
    pass
