"""Reaction screens: thin views over the selectors (reads), the policy and the services (writes)."""
from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.urls import reverse_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import TemplateView

from apps.audit.models import SignedAct
from apps.audit.signatures import SignatureFormMixin
from apps.core import policy
from apps.core.views import (HistoryView, RecordDetailView, RecordFormView, ScopedListView, VoidView, display_value,
                             history_rows)
from apps.patients.selectors import patient_get, patient_list

from . import policies
from .choices import Status
from .filters import ReactionFilter
from .forms import (CommentForm, PatientPickForm, ReactionCreateForm, ReactionFollowUpForm, ReactionReviewForm,
                    ReactionUpdateForm, ReturnForm)
from .selectors import follow_up_get, reaction_comments, reaction_get, reaction_list
from .services import (FOLLOW_UP_FIELDS, followup_proposed, reaction_comment_add, reaction_create,
                       reaction_followup_create, reaction_followup_lock, reaction_followup_return,
                       reaction_followup_submit, reaction_followup_update, reaction_return, reaction_review,
                       reaction_submit, reaction_update, reaction_void)
from .tables import ReactionTable

PICKER_MATCHES_SHOWN = 20


class ReactionRecordMixin:
    def get_record(self):
        return reaction_get(user=self.request.user, pk=self.kwargs["pk"])


class ReactionListView(ScopedListView):
    template_name = "reactions/list.html"
    table_class = ReactionTable
    filterset_class = ReactionFilter
    export_name = "reactions"
    page_title = gettext_lazy("Injection-site reactions")
    new_url = reverse_lazy("reactions:report")
    new_label = gettext_lazy("Report a reaction")

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
        messages.success(self.request, _("Reaction %(ref)s saved as a draft.") % {"ref": self.object.reaction_ref})
        return super().get_success_url()

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            page_title=_("New injection-site reaction · patient %(patient)s") % {"patient": self.record.patient_ref},
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
        messages.success(self.request, _("Reaction %(ref)s updated.") % {"ref": self.object.reaction_ref})
        return super().get_success_url()

    def get_context_data(self, **kwargs):
        return super().get_context_data(page_title=_("Edit reaction %(ref)s") % {"ref": self.record.reaction_ref},
                                        patient=self.record.patient, reaction=self.record, **kwargs)


class ReportReactionView(TemplateView):
    """"Report a reaction": find the patient by the site's reference, then go straight to the form.

    One exact match redirects to the form, so dashboard → this page → form → saved is four page loads.
    """

    access = policy.may_enter_data
    template_name = "reactions/report.html"

    def get(self, request, *args, **kwargs):
        form = PatientPickForm(request.GET or None)
        matches, text = [], ""
        if form.is_valid() and form.cleaned_data["patient_ref"].strip():
            text = form.cleaned_data["patient_ref"].strip()
            patients = patient_list(user=request.user).order_by("patient_ref", "site__code")
            exact = list(patients.filter(patient_ref__iexact=text)[:2])
            if len(exact) == 1:
                return redirect("reactions:create", patient_pk=exact[0].pk)
            matches = exact or list(patients.filter(patient_ref__icontains=text)[:PICKER_MATCHES_SHOWN])
        recent = list(patient_list(user=request.user).order_by("-created_at", "-pk")[:10]) if not text else []
        return self.render_to_response(self.get_context_data(
            form=form, matches=matches, searched=text, recent=recent, shown_max=PICKER_MATCHES_SHOWN))


class ReactionDetailView(ReactionRecordMixin, RecordDetailView):
    template_name = "reactions/detail.html"
    context_object_name = "reaction"

    def record_actions(self, record):
        return policies.actions(self.request.user, record)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        reaction, actions = context["reaction"], context["actions"]
        pending = actions["open_follow_up"]
        follow_up = None
        if pending is not None:
            follow_up = {"record": pending, "changes": follow_up_changes(pending),
                         "actions": policies.follow_up_actions(self.request.user, pending)}
        comments = list(reaction_comments(reaction))
        questions = [c for c in comments if c.kind == "question" and c.follow_up_id is None]
        context.update(comments=comments, last_question=questions[-1] if questions else None,
                       comment_form=CommentForm(), follow_up=follow_up,
                       follow_ups=reaction.follow_ups.select_related("created_by", "reviewed_by"))
        return context


def follow_up_changes(follow_up):
    """[(field label, value now, value after the follow-up)] for the detail page."""
    reaction, proposed = follow_up.reaction, followup_proposed(follow_up)
    rows = []
    for name in follow_up.changes:
        field = reaction._meta.get_field(name)
        rows.append((field.verbose_name, display_value(field, field.value_from_object(reaction)),
                     display_value(field, field.value_from_object(proposed))))
    return rows


def _redirect_with_message(request, reaction, call, success):
    try:
        call()
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, success)
    return redirect(reaction)


class ReactionSubmitView(View):
    """Draft (or returned) → submitted (POST only); afterwards only reviewers may change it."""

    access = policy.may_enter_data
    http_method_names = ["post"]

    def post(self, request, pk):
        reaction = reaction_get(user=request.user, pk=pk)
        policies.may_submit(request.user, reaction).require()
        return _redirect_with_message(request, reaction, lambda: reaction_submit(reaction=reaction, actor=request.user),
                                      _("Reaction %(ref)s submitted for review.") % {"ref": reaction.reaction_ref})


class ReactionCommentView(View):
    """Add a comment (POST only); it shows on the case and in its history."""

    access = policy.may_enter_data
    http_method_names = ["post"]

    def post(self, request, pk):
        reaction = reaction_get(user=request.user, pk=pk)
        policies.may_comment(request.user, reaction).require()
        form = CommentForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Comment:") + " " + " ".join(e for errors in form.errors.values() for e in errors))
            return redirect(reaction)
        return _redirect_with_message(
            request, reaction, lambda: reaction_comment_add(reaction=reaction, actor=request.user,
                                                            text=form.cleaned_data["text"]), _("Comment added."))


class ReactionReturnView(ReactionRecordMixin, RecordFormView):
    """A reviewer returns a submitted case to the site with a question, signing the return."""

    access = policy.may_review
    form_class = ReturnForm

    def decide(self, record):
        return policies.may_return(self.request.user, record)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "signing_request": self.request}

    def perform(self, form):
        return reaction_return(reaction=self.record, actor=self.request.user, question=form.cleaned_data["question"],
                               signature=form.signature)

    def get_success_url(self):
        messages.success(self.request, _("Reaction %(ref)s returned to the site with your question.") % {"ref": self.record.reaction_ref})
        return self.record.get_absolute_url()

    def get_context_data(self, **kwargs):
        return super().get_context_data(page_title=_("Return reaction %(ref)s to the site") % {"ref": self.record.reaction_ref},
                                        submit_label=_("Sign and return to the site"), **kwargs)


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
        messages.success(self.request, _("Reaction %(ref)s reviewed and locked.") % {"ref": self.object.reaction_ref})
        return super().get_success_url()

    def get_context_data(self, **kwargs):
        return super().get_context_data(page_title=_("Review reaction %(ref)s") % {"ref": self.record.reaction_ref},
                                        reaction=self.record, **kwargs)


class ReactionVoidView(ReactionRecordMixin, VoidView):
    page_title = gettext_lazy("Void reaction")

    def decide(self, record):
        return policies.may_void(self.request.user, record)

    def void(self, record, reason, signature):
        return reaction_void(reaction=record, actor=self.request.user, reason=reason, signature=signature)


class ReactionHistoryView(ReactionRecordMixin, HistoryView):
    """The case's saved versions, its follow-ups' steps and its comments, newest first."""

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        rows = context["rows"]
        for follow_up in context["record"].follow_ups.all():
            for row in history_rows(follow_up, hidden=("created_at", "updated_at", "changes")):
                row["type"] = _("Follow-up v%(version)s: %(step)s") % {"version": follow_up.case_version, "step": row["type"]}
                rows.append(row)
        for comment in reaction_comments(context["record"]):
            rows.append({"when": comment.created_at, "who": comment.author, "type": comment.get_kind_display(),
                         "reason": "", "changes": [], "text": comment.text})
        rows.sort(key=lambda row: row["when"], reverse=True)
        return context


# --- Follow-ups -------------------------------------------------------------------------------------

def _follow_up_fields(form):
    data = dict(form.cleaned_data)
    return data.pop("received_on"), data.pop("summary"), {k: v for k, v in data.items() if k in FOLLOW_UP_FIELDS}


class FollowUpCreateView(ReactionRecordMixin, RecordFormView):
    """New information on a locked case: the form starts from the case as locked."""

    form_class = ReactionFollowUpForm
    template_name = "reactions/form.html"

    def decide(self, record):
        return policies.may_create_follow_up(self.request.user, record)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user, "instance": self.record}

    def perform(self, form):
        received_on, summary, fields = _follow_up_fields(form)
        return reaction_followup_create(reaction=self.record, actor=self.request.user, received_on=received_on,
                                        summary=summary, **fields)

    def get_success_url(self):
        messages.success(self.request, _("Follow-up (version %(version)s) saved as a draft.") % {"version": self.object.case_version})
        return self.record.get_absolute_url()

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            page_title=_("Follow-up of reaction %(ref)s (version %(version)s)") % {
                "ref": self.record.reaction_ref, "version": self.record.case_version + 1},
            patient=self.record.patient, **kwargs)


class FollowUpRecordMixin:
    """The follow-up in the user's scope (its URL is its case's page)."""

    def get_record(self):
        self.follow_up = follow_up_get(user=self.request.user, pk=self.kwargs["pk"])
        return self.follow_up


class FollowUpUpdateView(FollowUpRecordMixin, RecordFormView):
    form_class = ReactionFollowUpForm
    template_name = "reactions/form.html"

    def decide(self, record):
        return policies.may_edit_follow_up(self.request.user, record)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user, "follow_up": self.follow_up,
                "instance": followup_proposed(self.follow_up)}

    def perform(self, form):
        received_on, summary, fields = _follow_up_fields(form)
        return reaction_followup_update(follow_up=self.follow_up, actor=self.request.user, received_on=received_on,
                                        summary=summary, **fields)

    def get_success_url(self):
        messages.success(self.request, _("Follow-up updated."))
        return self.follow_up.reaction.get_absolute_url()

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            page_title=_("Edit follow-up (version %(version)s) of %(reaction)s") % {"version": self.follow_up.case_version, "reaction": self.follow_up.reaction},
            patient=self.follow_up.reaction.patient, **kwargs)


class FollowUpSubmitView(View):
    access = policy.may_enter_data
    http_method_names = ["post"]

    def post(self, request, pk):
        follow_up = follow_up_get(user=request.user, pk=pk)
        policies.may_submit_follow_up(request.user, follow_up).require()
        return _redirect_with_message(
            request, follow_up.reaction,
            lambda: reaction_followup_submit(follow_up=follow_up, actor=request.user),
            _("Follow-up (version %(version)s) submitted for review.") % {"version": follow_up.case_version})


class FollowUpReturnView(FollowUpRecordMixin, RecordFormView):
    access = policy.may_review
    form_class = ReturnForm

    def decide(self, record):
        return policies.may_review_follow_up(self.request.user, record)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "signing_request": self.request}

    def perform(self, form):
        return reaction_followup_return(follow_up=self.follow_up, actor=self.request.user,
                                        question=form.cleaned_data["question"], signature=form.signature)

    def get_success_url(self):
        messages.success(self.request, _("Follow-up returned to the site with your question."))
        return self.follow_up.reaction.get_absolute_url()

    def get_context_data(self, **kwargs):
        return super().get_context_data(page_title=_("Return the follow-up of %(reaction)s to the site") % {"reaction": self.follow_up.reaction},
                                        submit_label=_("Sign and return to the site"), **kwargs)


class FollowUpLockForm(SignatureFormMixin, forms.Form):
    signature_act = SignedAct.FOLLOW_UP_LOCK


class FollowUpReviewView(FollowUpRecordMixin, RecordFormView):
    """Lock a submitted follow-up with the reviewer's signature: its changes become the case's next version."""

    access = policy.may_review
    form_class = FollowUpLockForm

    def decide(self, record):
        return policies.may_lock_follow_up(self.request.user, record)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "signing_request": self.request}

    def perform(self, form):
        return reaction_followup_lock(follow_up=self.follow_up, actor=self.request.user, signature=form.signature)

    def get_success_url(self):
        messages.success(self.request, _("Follow-up reviewed and locked: the case is now version %(version)s.")
                         % {"version": self.follow_up.case_version})
        return self.follow_up.reaction.get_absolute_url()

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            page_title=_("Review and lock the follow-up (version %(version)s) of %(reaction)s") % {
                "version": self.follow_up.case_version, "reaction": self.follow_up.reaction},
            submit_label=_("Sign and lock the follow-up"), changes=follow_up_changes(self.follow_up), **kwargs)
