"""Reaction screens: thin views over the selectors (reads) and services (writes)."""
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect
from django.urls import reverse, reverse_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import TemplateView

from apps.accounts.roles import is_reviewer
from apps.core.views import (HistoryView, PermissionDeniedPageMixin, ScopedListView, ServiceFormView, VoidView,
                             history_rows)
from apps.patients.selectors import patient_get, patient_list
from apps.patients.views import detail_url as patient_url
from apps.patients.views import require_data_entry

from .filters import ReactionFilter
from .forms import (CommentForm, PatientPickForm, ReactionCreateForm, ReactionFollowUpForm, ReactionReviewForm,
                    ReactionUpdateForm, ReturnForm)
from .selectors import (follow_up_actions, follow_up_get, reaction_actions, reaction_comments, reaction_get,
                        reaction_list)
from .services import (FOLLOW_UP_FIELDS, followup_proposed, reaction_comment_add, reaction_create,
                       reaction_followup_create, reaction_followup_lock, reaction_followup_return,
                       reaction_followup_submit, reaction_followup_update, reaction_return, reaction_review,
                       reaction_submit, reaction_update, reaction_void)
from .tables import ReactionTable

PICKER_MATCHES_SHOWN = 20


def detail_url(reaction):
    return reverse("reactions:detail", args=[reaction.pk])


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


class ReactionCreateView(ServiceFormView):
    form_class = ReactionCreateForm
    template_name = "reactions/form.html"

    def check_access(self):
        self.patient = patient_get(user=self.request.user, pk=self.kwargs["patient_pk"])
        require_data_entry(self.request.user)
        if self.patient.is_voided:
            raise PermissionDenied(_("The patient is voided; no reaction can be added."))

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user, "patient": self.patient}

    def perform(self, form):
        data = dict(form.cleaned_data)
        confirm = data.pop("confirm_duplicate", False)
        return reaction_create(patient=self.patient, actor=self.request.user, confirm_duplicate=confirm, **data)

    def get_success_url(self):
        messages.success(self.request, _("Reaction %(ref)s saved as a draft.") % {"ref": self.object.reaction_ref})
        return detail_url(self.object)

    def get_context_data(self, **kwargs):
        return super().get_context_data(page_title=_("New injection-site reaction · patient %(patient)s") % {"patient": self.patient.patient_ref},
                                        patient=self.patient, cancel_url=patient_url(self.patient), **kwargs)


class ReactionUpdateView(ServiceFormView):
    form_class = ReactionUpdateForm
    template_name = "reactions/form.html"

    def check_access(self):
        self.record = reaction_get(user=self.request.user, pk=self.kwargs["pk"])
        require_data_entry(self.request.user)
        if self.record.is_voided:
            raise PermissionDenied(_("The reaction is voided; voided records cannot be edited."))
        if self.record.is_locked:
            raise PermissionDenied(_("The reaction is reviewed and locked; it can no longer be edited."))
        if not reaction_actions(user=self.request.user, reaction=self.record)["edit"]:
            raise PermissionDenied(_("Only drafts can be edited by reporters; ask a reviewer."))

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user, "instance": self.record}

    def perform(self, form):
        data = dict(form.cleaned_data)
        version = data.pop("version")
        confirm = data.pop("confirm_duplicate", False)
        return reaction_update(reaction=self.record, actor=self.request.user, expected_version=version,
                               confirm_duplicate=confirm, **data)

    def get_success_url(self):
        messages.success(self.request, _("Reaction %(ref)s updated.") % {"ref": self.object.reaction_ref})
        return detail_url(self.object)

    def get_context_data(self, **kwargs):
        return super().get_context_data(page_title=_("Edit reaction %(ref)s") % {"ref": self.record.reaction_ref},
                                        patient=self.record.patient, reaction=self.record,
                                        cancel_url=detail_url(self.record), **kwargs)


class ReportReactionView(LoginRequiredMixin, PermissionDeniedPageMixin, TemplateView):
    """"Report a reaction": find the patient by the site's reference, then go straight to the form.

    One exact match redirects to the form, so dashboard → this page → form → saved is four page loads.
    """

    template_name = "reactions/report.html"

    def check_access(self):
        require_data_entry(self.request.user)

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


class ReactionDetailView(LoginRequiredMixin, TemplateView):
    template_name = "reactions/detail.html"

    def get_context_data(self, **kwargs):
        reaction = reaction_get(user=self.request.user, pk=self.kwargs["pk"])
        actions = reaction_actions(user=self.request.user, reaction=reaction)
        open_follow_up = actions["open_follow_up"]
        follow_up = None
        if open_follow_up is not None:
            follow_up = {"record": open_follow_up, "changes": follow_up_changes(open_follow_up),
                         "actions": follow_up_actions(user=self.request.user, follow_up=open_follow_up)}
        comments = list(reaction_comments(reaction))
        questions = [c for c in comments if c.kind == "question" and c.follow_up_id is None]
        return super().get_context_data(reaction=reaction, actions=actions, comments=comments,
                                        last_question=questions[-1] if questions else None,
                                        comment_form=CommentForm(), follow_up=follow_up,
                                        follow_ups=reaction.follow_ups.select_related("created_by", "reviewed_by"),
                                        **kwargs)


def follow_up_changes(follow_up):
    """[(field label, value now, value after the follow-up)] for the detail page."""
    from apps.core.views import display_value

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
    return redirect(detail_url(reaction))


class ReactionSubmitView(LoginRequiredMixin, PermissionDeniedPageMixin, View):
    """Draft → submitted (POST only); afterwards only reviewers may change it."""

    def post(self, request, pk):
        reaction = reaction_get(user=request.user, pk=pk)
        return _redirect_with_message(request, reaction, lambda: reaction_submit(reaction=reaction, actor=request.user),
                                      _("Reaction %(ref)s submitted for review.") % {"ref": reaction.reaction_ref})


class ReactionCommentView(LoginRequiredMixin, PermissionDeniedPageMixin, View):
    """Add a comment (POST only); it shows on the case and in its history."""

    def post(self, request, pk):
        reaction = reaction_get(user=request.user, pk=pk)
        form = CommentForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Comment:") + " " + " ".join(e for errors in form.errors.values() for e in errors))
            return redirect(detail_url(reaction))
        return _redirect_with_message(
            request, reaction, lambda: reaction_comment_add(reaction=reaction, actor=request.user,
                                                            text=form.cleaned_data["text"]), _("Comment added."))


class ReactionReturnView(ServiceFormView):
    """A reviewer returns a submitted case to the site with a question."""

    form_class = ReturnForm
    template_name = "core/form_page.html"

    def check_access(self):
        self.record = reaction_get(user=self.request.user, pk=self.kwargs["pk"])
        if not is_reviewer(self.request.user):
            raise PermissionDenied(_("Only reviewers can return a case to the site."))
        if not reaction_actions(user=self.request.user, reaction=self.record)["return"]:
            raise PermissionDenied(_("Only a submitted, live case can be returned to the site."))

    def perform(self, form):
        return reaction_return(reaction=self.record, actor=self.request.user, **form.cleaned_data)

    def get_success_url(self):
        messages.success(self.request, _("Reaction %(ref)s returned to the site with your question.") % {"ref": self.record.reaction_ref})
        return detail_url(self.record)

    def get_context_data(self, **kwargs):
        return super().get_context_data(page_title=_("Return reaction %(ref)s to the site") % {"ref": self.record.reaction_ref},
                                        submit_label=_("Return to the site"), cancel_url=detail_url(self.record),
                                        **kwargs)


class ReactionReviewView(ServiceFormView):
    form_class = ReactionReviewForm
    template_name = "reactions/review.html"

    def check_access(self):
        self.record = reaction_get(user=self.request.user, pk=self.kwargs["pk"])
        if not is_reviewer(self.request.user):
            raise PermissionDenied(_("Only reviewers can review and lock reactions."))
        if not reaction_actions(user=self.request.user, reaction=self.record)["review"]:
            raise PermissionDenied(_("Only a submitted, live reaction can be reviewed."))

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "instance": self.record}

    def perform(self, form):
        return reaction_review(reaction=self.record, actor=self.request.user, **form.cleaned_data)

    def get_success_url(self):
        messages.success(self.request, _("Reaction %(ref)s reviewed and locked.") % {"ref": self.object.reaction_ref})
        return detail_url(self.object)

    def get_context_data(self, **kwargs):
        return super().get_context_data(page_title=_("Review reaction %(ref)s") % {"ref": self.record.reaction_ref},
                                        reaction=self.record, cancel_url=detail_url(self.record), **kwargs)


class ReactionVoidView(VoidView):
    page_title = gettext_lazy("Void reaction")

    def check_access(self):
        super().check_access()
        if not reaction_actions(user=self.request.user, reaction=self.record)["void"]:
            raise PermissionDenied(_("Only reviewers can void a submitted or reviewed reaction."))

    def get_record(self):
        return reaction_get(user=self.request.user, pk=self.kwargs["pk"])

    def detail_url(self, record):
        return detail_url(record)

    def void(self, record, reason):
        return reaction_void(reaction=record, actor=self.request.user, reason=reason)


class ReactionHistoryView(HistoryView):
    """The case's saved versions, its follow-ups' steps and its comments, newest first."""

    def get_record(self):
        return reaction_get(user=self.request.user, pk=self.kwargs["pk"])

    def detail_url(self, record):
        return detail_url(record)

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


class FollowUpCreateView(ServiceFormView):
    """New information on a locked case: the form starts from the case as locked."""

    form_class = ReactionFollowUpForm
    template_name = "reactions/form.html"

    def check_access(self):
        self.record = reaction_get(user=self.request.user, pk=self.kwargs["pk"])
        require_data_entry(self.request.user)
        if not reaction_actions(user=self.request.user, reaction=self.record)["follow_up"]:
            raise PermissionDenied(_("A follow-up is entered on a live, locked case with no follow-up in progress."))

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user, "instance": self.record}

    def perform(self, form):
        received_on, summary, fields = _follow_up_fields(form)
        return reaction_followup_create(reaction=self.record, actor=self.request.user, received_on=received_on,
                                        summary=summary, **fields)

    def get_success_url(self):
        messages.success(self.request, _("Follow-up (version %(version)s) saved as a draft.") % {"version": self.object.case_version})
        return detail_url(self.record)

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            page_title=_("Follow-up of reaction %(ref)s (version %(version)s)") % {
                "ref": self.record.reaction_ref, "version": self.record.case_version + 1},
            patient=self.record.patient, cancel_url=detail_url(self.record), **kwargs)


class FollowUpMixin:
    def get_follow_up(self):
        self.follow_up = follow_up_get(user=self.request.user, pk=self.kwargs["pk"])
        self.actions = follow_up_actions(user=self.request.user, follow_up=self.follow_up)
        return self.follow_up


class FollowUpUpdateView(FollowUpMixin, ServiceFormView):
    form_class = ReactionFollowUpForm
    template_name = "reactions/form.html"

    def check_access(self):
        self.get_follow_up()
        require_data_entry(self.request.user)
        if not self.actions["edit"]:
            raise PermissionDenied(_("Only draft and returned follow-ups can be edited by reporters; "
                                     "a locked follow-up cannot be edited."))

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user, "follow_up": self.follow_up,
                "instance": followup_proposed(self.follow_up)}

    def perform(self, form):
        received_on, summary, fields = _follow_up_fields(form)
        return reaction_followup_update(follow_up=self.follow_up, actor=self.request.user, received_on=received_on,
                                        summary=summary, **fields)

    def get_success_url(self):
        messages.success(self.request, _("Follow-up updated."))
        return detail_url(self.follow_up.reaction)

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            page_title=_("Edit follow-up (version %(version)s) of %(reaction)s") % {"version": self.follow_up.case_version, "reaction": self.follow_up.reaction},
            patient=self.follow_up.reaction.patient, cancel_url=detail_url(self.follow_up.reaction), **kwargs)


class FollowUpSubmitView(LoginRequiredMixin, FollowUpMixin, PermissionDeniedPageMixin, View):
    def post(self, request, pk):
        self.get_follow_up()
        if not self.actions["submit"]:
            raise PermissionDenied(_("Only a draft or returned follow-up can be submitted, by the site or a reviewer."))
        return _redirect_with_message(
            request, self.follow_up.reaction,
            lambda: reaction_followup_submit(follow_up=self.follow_up, actor=request.user),
            _("Follow-up (version %(version)s) submitted for review.") % {"version": self.follow_up.case_version})


class FollowUpReturnView(FollowUpMixin, ServiceFormView):
    form_class = ReturnForm

    def check_access(self):
        self.get_follow_up()
        if not self.actions["review"]:
            raise PermissionDenied(_("Only reviewers return a submitted follow-up to the site."))

    def perform(self, form):
        return reaction_followup_return(follow_up=self.follow_up, actor=self.request.user, **form.cleaned_data)

    def get_success_url(self):
        messages.success(self.request, _("Follow-up returned to the site with your question."))
        return detail_url(self.follow_up.reaction)

    def get_context_data(self, **kwargs):
        return super().get_context_data(page_title=_("Return the follow-up of %(reaction)s to the site") % {"reaction": self.follow_up.reaction},
                                        submit_label=_("Return to the site"),
                                        cancel_url=detail_url(self.follow_up.reaction), **kwargs)


class FollowUpReviewView(LoginRequiredMixin, FollowUpMixin, PermissionDeniedPageMixin, View):
    """Lock a submitted follow-up (POST only): its changes become the case's next version."""

    def post(self, request, pk):
        self.get_follow_up()
        if not self.actions["review"]:
            raise PermissionDenied(_("Only reviewers lock a submitted follow-up."))
        return _redirect_with_message(
            request, self.follow_up.reaction,
            lambda: reaction_followup_lock(follow_up=self.follow_up, actor=request.user),
            _("Follow-up reviewed and locked: the case is now version %(version)s.") % {"version": self.follow_up.case_version})
