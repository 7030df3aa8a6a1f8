"""Reaction screens: thin views over the selectors (reads) and services (writes)."""
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect
from django.urls import reverse
from django.views import View
from django.views.generic import TemplateView

from apps.accounts.roles import is_reviewer
from apps.core.views import HistoryView, PermissionDeniedPageMixin, ScopedListView, ServiceFormView, VoidView
from apps.patients.selectors import patient_get
from apps.patients.views import detail_url as patient_url
from apps.patients.views import require_data_entry

from .filters import ReactionFilter
from .forms import ReactionCreateForm, ReactionReviewForm, ReactionUpdateForm
from .selectors import reaction_actions, reaction_get, reaction_list
from .services import reaction_create, reaction_review, reaction_submit, reaction_update, reaction_void
from .tables import ReactionTable


def detail_url(reaction):
    return reverse("reactions:detail", args=[reaction.pk])


class ReactionListView(ScopedListView):
    template_name = "reactions/list.html"
    table_class = ReactionTable
    filterset_class = ReactionFilter
    export_name = "reactions"
    page_title = "Injection-site reactions"

    def list_queryset(self, *, user, include_voided):
        return reaction_list(user=user, include_voided=include_voided)


class ReactionCreateView(ServiceFormView):
    form_class = ReactionCreateForm
    template_name = "reactions/form.html"

    def check_access(self):
        self.patient = patient_get(user=self.request.user, pk=self.kwargs["patient_pk"])
        require_data_entry(self.request.user)
        if self.patient.is_voided:
            raise PermissionDenied("The patient is voided; no reaction can be added.")

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user, "patient": self.patient}

    def perform(self, form):
        data = dict(form.cleaned_data)
        confirm = data.pop("confirm_duplicate", False)
        return reaction_create(patient=self.patient, actor=self.request.user, confirm_duplicate=confirm, **data)

    def get_success_url(self):
        messages.success(self.request, f"Reaction {self.object.reaction_ref} saved as a draft.")
        return detail_url(self.object)

    def get_context_data(self, **kwargs):
        return super().get_context_data(page_title=f"New injection-site reaction · patient {self.patient.patient_ref}",
                                        patient=self.patient, cancel_url=patient_url(self.patient), **kwargs)


class ReactionUpdateView(ServiceFormView):
    form_class = ReactionUpdateForm
    template_name = "reactions/form.html"

    def check_access(self):
        self.record = reaction_get(user=self.request.user, pk=self.kwargs["pk"])
        require_data_entry(self.request.user)
        if self.record.is_voided:
            raise PermissionDenied("The reaction is voided; voided records cannot be edited.")
        if self.record.is_locked:
            raise PermissionDenied("The reaction is reviewed and locked; it can no longer be edited.")
        if not reaction_actions(user=self.request.user, reaction=self.record)["edit"]:
            raise PermissionDenied("Only drafts can be edited by reporters; ask a reviewer.")

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user, "instance": self.record}

    def perform(self, form):
        data = dict(form.cleaned_data)
        version = data.pop("version")
        confirm = data.pop("confirm_duplicate", False)
        return reaction_update(reaction=self.record, actor=self.request.user, expected_version=version,
                               confirm_duplicate=confirm, **data)

    def get_success_url(self):
        messages.success(self.request, f"Reaction {self.object.reaction_ref} updated.")
        return detail_url(self.object)

    def get_context_data(self, **kwargs):
        return super().get_context_data(page_title=f"Edit reaction {self.record.reaction_ref}",
                                        patient=self.record.patient, reaction=self.record,
                                        cancel_url=detail_url(self.record), **kwargs)


class ReactionDetailView(LoginRequiredMixin, TemplateView):
    template_name = "reactions/detail.html"

    def get_context_data(self, **kwargs):
        reaction = reaction_get(user=self.request.user, pk=self.kwargs["pk"])
        return super().get_context_data(reaction=reaction,
                                        actions=reaction_actions(user=self.request.user, reaction=reaction),
                                        **kwargs)


class ReactionSubmitView(LoginRequiredMixin, PermissionDeniedPageMixin, View):
    """Draft → submitted (POST only); afterwards only reviewers may change it."""

    def post(self, request, pk):
        reaction = reaction_get(user=request.user, pk=pk)
        try:
            reaction_submit(reaction=reaction, actor=request.user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, f"Reaction {reaction.reaction_ref} submitted for review.")
        return redirect(detail_url(reaction))


class ReactionReviewView(ServiceFormView):
    form_class = ReactionReviewForm
    template_name = "reactions/review.html"

    def check_access(self):
        self.record = reaction_get(user=self.request.user, pk=self.kwargs["pk"])
        if not is_reviewer(self.request.user):
            raise PermissionDenied("Only reviewers can review and lock reactions.")
        if not reaction_actions(user=self.request.user, reaction=self.record)["review"]:
            raise PermissionDenied("Only a submitted, live reaction can be reviewed.")

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "instance": self.record}

    def perform(self, form):
        return reaction_review(reaction=self.record, actor=self.request.user, **form.cleaned_data)

    def get_success_url(self):
        messages.success(self.request, f"Reaction {self.object.reaction_ref} reviewed and locked.")
        return detail_url(self.object)

    def get_context_data(self, **kwargs):
        return super().get_context_data(page_title=f"Review reaction {self.record.reaction_ref}",
                                        reaction=self.record, cancel_url=detail_url(self.record), **kwargs)


class ReactionVoidView(VoidView):
    page_title = "Void reaction"

    def check_access(self):
        super().check_access()
        if not reaction_actions(user=self.request.user, reaction=self.record)["void"]:
            raise PermissionDenied("Only reviewers can void a submitted or reviewed reaction.")

    def get_record(self):
        return reaction_get(user=self.request.user, pk=self.kwargs["pk"])

    def detail_url(self, record):
        return detail_url(record)

    def void(self, record, reason):
        return reaction_void(reaction=record, actor=self.request.user, reason=reason)


class ReactionHistoryView(HistoryView):
    def get_record(self):
        return reaction_get(user=self.request.user, pk=self.kwargs["pk"])

    def detail_url(self, record):
        return detail_url(record)
