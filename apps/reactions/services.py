"""Writes of injection-site reactions: creation, edits with lost-update protection,
the draft → submitted → (returned → submitted) → reviewed workflow, comments, follow-ups, voiding.

Each workflow step is one keyword-only service so that an electronic signature can wrap it.
"""
import copy
from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.accounts.roles import can_enter_data, is_reviewer
from apps.core.services import check_not_voided, check_site_access, record_void, save_validated, validated_save
from apps.patients.models import Patient

from . import notifications
from .choices import SITE_EDITABLE, CommentKind, Status
from .models import InjectionSiteReaction, ReactionComment, ReactionFollowUp

EDITABLE_FIELDS = (
    "onset_date", "resolution_date", "severity", "ctcae_grade", "symptoms", "seriousness", "outcome",
    "action_taken", "injection_site", "diameter_mm", "reporter_qualification", "narrative",
    "meddra_llt_code", "meddra_version",
)
REVIEWER_FIELDS = ("causality",)


class EditConflict(ValidationError):
    """Someone else saved the record after the editor loaded it."""


def probable_duplicates(reaction: InjectionSiteReaction):
    """Live reactions of the same patient and product with the same onset date."""
    return (InjectionSiteReaction.objects
            .filter(patient_id=reaction.patient_id, product_id=reaction.product_id,
                    onset_date=reaction.onset_date, voided_at__isnull=True)
            .exclude(pk=reaction.pk))


def _check_duplicates(reaction, confirm_duplicate):
    # Lock the patient row first: two concurrent saves of the same event would otherwise both
    # find no duplicate (READ COMMITTED) and both be stored unconfirmed. SQLite's IMMEDIATE
    # transactions already serialise writers; there select_for_update is a no-op.
    # of=self and no ordering: Patient.Meta.ordering would join (and so lock) the site row too.
    list(Patient.objects.select_for_update(of=("self",)).filter(pk=reaction.patient_id).order_by()
         .values_list("pk", flat=True))
    duplicates = list(probable_duplicates(reaction).values_list("reaction_ref", flat=True)[:5])
    if duplicates and not confirm_duplicate:
        raise ValidationError({"onset_date": ValidationError(
            "Probable duplicate of %(refs)s (same patient, product and onset date). "
            "Check it, then confirm to save anyway.", code="probable_duplicate",
            params={"refs": ", ".join(duplicates)})})
    reaction.duplicate_confirmed = bool(duplicates)


def _check_can_edit(actor, reaction):
    check_not_voided(reaction)
    if actor is None:
        return
    check_site_access(actor, reaction.patient.site_id)
    if not can_enter_data(actor):
        raise PermissionDenied("Your role cannot enter or change reactions.")
    if reaction.status == Status.REVIEWED:
        raise PermissionDenied("The reaction is reviewed and locked; it can no longer be edited.")
    if reaction.status not in SITE_EDITABLE and not is_reviewer(actor):
        raise PermissionDenied("Only drafts and returned cases can be edited by reporters; ask a reviewer.")


@transaction.atomic
def reaction_create(*, reaction_ref, patient, product, onset_date, severity, symptoms, outcome, actor=None,
                    confirm_duplicate=False, status=Status.DRAFT, **fields) -> InjectionSiteReaction:
    unknown = set(fields) - set(EDITABLE_FIELDS) - set(REVIEWER_FIELDS)
    if unknown:
        raise TypeError(f"Unknown reaction fields: {', '.join(sorted(unknown))}")
    reaction = InjectionSiteReaction(
        reaction_ref=reaction_ref.strip(), patient=patient, product=product, onset_date=onset_date,
        severity=severity, symptoms=symptoms, outcome=outcome, status=status, reporter=actor, **fields)
    _check_can_edit(actor, reaction)
    if actor is not None and fields.get("causality") and not is_reviewer(actor):
        raise PermissionDenied("Causality is assessed by a reviewer.")
    reaction.full_clean()
    _check_duplicates(reaction, confirm_duplicate)
    return save_validated(reaction, actor=actor)


@transaction.atomic
def reaction_update(*, reaction: InjectionSiteReaction, actor=None, expected_version=None,
                    confirm_duplicate=False, **fields) -> InjectionSiteReaction:
    """Apply an edit unless someone saved the record since the editor loaded `expected_version`."""
    current = InjectionSiteReaction.objects.select_for_update().select_related("patient").get(pk=reaction.pk)
    if expected_version is not None and current.version != expected_version:
        raise EditConflict(
            "Someone else saved this reaction after you opened it (your version %(mine)s, now %(theirs)s). "
            "Reload the page to see their changes, then make yours again.",
            code="edit_conflict", params={"mine": expected_version, "theirs": current.version})
    _check_can_edit(actor, current)
    allowed = set(EDITABLE_FIELDS) | (set(REVIEWER_FIELDS) if actor is None or is_reviewer(actor) else set())
    refused = set(fields) - allowed
    if refused:
        raise PermissionDenied(f"You cannot change: {', '.join(sorted(refused))}.")
    onset_changed = "onset_date" in fields and fields["onset_date"] != current.onset_date
    for name, value in fields.items():
        setattr(current, name, value)
    current.full_clean()
    if onset_changed:
        _check_duplicates(current, confirm_duplicate)
    current.version += 1
    return save_validated(current, actor=actor)


@transaction.atomic
def reaction_submit(*, reaction: InjectionSiteReaction, actor=None) -> InjectionSiteReaction:
    """A draft (or a case returned with a question) goes to the reviewers; reporters can no longer change it."""
    current = InjectionSiteReaction.objects.select_for_update().select_related("patient__site").get(pk=reaction.pk)
    _check_can_edit(actor, current)
    if current.status not in SITE_EDITABLE:
        raise ValidationError("Only a draft or a returned case can be submitted.", code="not_draft")
    reason = "Resubmitted after a question" if current.status == Status.RETURNED else "Submitted for review"
    current.status = Status.SUBMITTED
    current.version += 1
    validated_save(current, actor=actor, change_reason=reason)
    notifications.notify_submitted(current)
    return current


def _check_reviewer(actor, site_id, message="Only reviewers can review and lock reactions."):
    if actor is not None:
        check_site_access(actor, site_id)
        if not is_reviewer(actor):
            raise PermissionDenied(message)


def _clean_text(text, field="text", message="Write the question to the site."):
    text = (text or "").strip()
    if not text:
        raise ValidationError({field: message})
    return text


@transaction.atomic
def reaction_return(*, reaction: InjectionSiteReaction, actor, question) -> InjectionSiteReaction:
    """A reviewer sends a submitted case back to its site with a question; the site answers by
    editing it and submitting again."""
    current = InjectionSiteReaction.objects.select_for_update().select_related("patient__site").get(pk=reaction.pk)
    check_not_voided(current)
    _check_reviewer(actor, current.patient.site_id, "Only reviewers can return a case to the site.")
    if current.status != Status.SUBMITTED:
        raise ValidationError("Only a submitted case can be returned to the site.", code="not_submitted")
    question = _clean_text(question, "question")
    current.status = Status.RETURNED
    current.version += 1
    validated_save(current, actor=actor, change_reason="Returned to the site with a question")
    comment = ReactionComment(reaction=current, author=actor, kind=CommentKind.QUESTION, text=question)
    comment.full_clean()
    comment.save()
    notifications.notify_returned(current, question)
    return current


@transaction.atomic
def reaction_comment_add(*, reaction: InjectionSiteReaction, actor, text, follow_up=None) -> ReactionComment:
    """A remark on a case by anyone who works on it (reporters of its site, reviewers)."""
    check_site_access(actor, reaction.patient.site_id)
    if not can_enter_data(actor):
        raise PermissionDenied("Your role reads cases but does not comment on them.")
    comment = ReactionComment(reaction=reaction, author=actor, text=_clean_text(text, message="Write the comment."),
                              follow_up=follow_up)
    comment.full_clean()
    comment.save()
    return comment


@transaction.atomic
def reaction_review(*, reaction: InjectionSiteReaction, actor, causality, meddra_llt_code=None,
                    meddra_version=None) -> InjectionSiteReaction:
    """A reviewer assesses causality and locks the report."""
    current = InjectionSiteReaction.objects.select_for_update().select_related("patient").get(pk=reaction.pk)
    _check_reviewer(actor, current.patient.site_id)
    if current.status != Status.SUBMITTED:
        raise ValidationError("Only a submitted reaction can be reviewed.", code="not_submitted")
    if not causality:
        raise ValidationError({"causality": "Assess causality before locking the report."})
    current.causality = causality
    if meddra_llt_code is not None:
        current.meddra_llt_code = meddra_llt_code
    if meddra_version is not None:
        current.meddra_version = meddra_version
    current.status = Status.REVIEWED
    current.reviewed_by = actor
    current.reviewed_at = timezone.now()
    current.version += 1
    validated_save(current, actor=actor, change_reason="Reviewed and locked")
    notifications.notify_locked(current)
    return current


@transaction.atomic
def reaction_void(*, reaction: InjectionSiteReaction, actor, reason) -> InjectionSiteReaction:
    current = InjectionSiteReaction.objects.select_for_update().select_related("patient").get(pk=reaction.pk)
    if actor is not None:
        check_site_access(actor, current.patient.site_id)
        if not (is_reviewer(actor) or (can_enter_data(actor) and current.status == Status.DRAFT)):
            raise PermissionDenied("Only reviewers can void a submitted or reviewed reaction.")
    current.version += 1
    return record_void(current, actor=actor, reason=reason)


# --- Follow-ups: new information on a locked case -------------------------------------------------

FOLLOW_UP_FIELDS = EDITABLE_FIELDS + REVIEWER_FIELDS


def _as_json(value):
    return value.isoformat() if isinstance(value, date) else value


def followup_proposed(follow_up: ReactionFollowUp) -> InjectionSiteReaction:
    """The case as it will read once `follow_up` is locked (an unsaved copy)."""
    proposed = copy.copy(follow_up.reaction)
    for name, value in follow_up.changes.items():
        setattr(proposed, name, InjectionSiteReaction._meta.get_field(name).to_python(value))
    return proposed


def _followup_changes(reaction, actor, fields):
    """The fields that differ from the locked case, validated together with the case's own rules."""
    unknown = set(fields) - set(FOLLOW_UP_FIELDS)
    if unknown:
        raise TypeError(f"Unknown reaction fields: {', '.join(sorted(unknown))}")
    if actor is not None and not is_reviewer(actor) and set(fields) & set(REVIEWER_FIELDS) and \
            any(fields[name] != getattr(reaction, name) for name in REVIEWER_FIELDS if name in fields):
        raise PermissionDenied("Causality is assessed by a reviewer.")
    changes = {name: _as_json(value) for name, value in fields.items() if value != getattr(reaction, name)}
    proposed = copy.copy(reaction)
    for name, value in fields.items():
        setattr(proposed, name, value)
    proposed.full_clean()
    return changes


def _check_followup_site(actor, follow_up_or_reaction):
    reaction = getattr(follow_up_or_reaction, "reaction", follow_up_or_reaction)
    if actor is not None:
        check_site_access(actor, reaction.patient.site_id)
        if not can_enter_data(actor):
            raise PermissionDenied("Your role cannot enter follow-up information.")


@transaction.atomic
def reaction_followup_create(*, reaction: InjectionSiteReaction, actor, received_on, summary,
                             **fields) -> ReactionFollowUp:
    """Open the next version of a locked case with the new information and its receipt date."""
    current = InjectionSiteReaction.objects.select_for_update().select_related("patient__site").get(pk=reaction.pk)
    check_not_voided(current)
    _check_followup_site(actor, current)
    if current.status != Status.REVIEWED:
        raise ValidationError("Only a reviewed (locked) case takes a follow-up; edit the case itself.",
                              code="not_locked")
    if current.follow_ups.exclude(status=Status.REVIEWED).exists():
        raise ValidationError("This case already has a follow-up in progress; complete that one first.",
                              code="follow_up_open")
    follow_up = ReactionFollowUp(reaction=current, case_version=current.case_version + 1, received_on=received_on,
                                 summary=(summary or "").strip(), created_by=actor,
                                 changes=_followup_changes(current, actor, fields))
    follow_up.full_clean()
    if actor is not None:
        follow_up._history_user = actor
    follow_up.save()
    return follow_up


def _locked_followup(follow_up):
    return (ReactionFollowUp.objects.select_for_update().select_related("reaction__patient__site")
            .get(pk=follow_up.pk))


def _save_followup(follow_up, actor, reason):
    follow_up.full_clean()
    if actor is not None:
        follow_up._history_user = actor
    follow_up._change_reason = reason
    follow_up.save()
    return follow_up


@transaction.atomic
def reaction_followup_update(*, follow_up: ReactionFollowUp, actor, received_on, summary,
                             **fields) -> ReactionFollowUp:
    current = _locked_followup(follow_up)
    _check_followup_site(actor, current)
    if current.status == Status.REVIEWED:
        raise PermissionDenied("The follow-up is reviewed and locked.")
    if current.status not in SITE_EDITABLE and actor is not None and not is_reviewer(actor):
        raise PermissionDenied("Only draft and returned follow-ups can be edited by reporters; ask a reviewer.")
    current.received_on, current.summary = received_on, (summary or "").strip()
    current.changes = _followup_changes(current.reaction, actor, fields)
    return _save_followup(current, actor, "Edited")


@transaction.atomic
def reaction_followup_submit(*, follow_up: ReactionFollowUp, actor) -> ReactionFollowUp:
    current = _locked_followup(follow_up)
    _check_followup_site(actor, current)
    if current.status not in SITE_EDITABLE:
        raise ValidationError("Only a draft or a returned follow-up can be submitted.", code="not_draft")
    if not current.changes:
        raise ValidationError("The follow-up changes nothing in the case: record what the new information changes.",
                              code="no_changes")
    current.status = Status.SUBMITTED
    _save_followup(current, actor, "Submitted for review")
    notifications.notify_submitted(current.reaction, what=_("Follow-up (version %(version)s) of") % {"version": current.case_version})
    return current


@transaction.atomic
def reaction_followup_return(*, follow_up: ReactionFollowUp, actor, question) -> ReactionFollowUp:
    current = _locked_followup(follow_up)
    _check_reviewer(actor, current.reaction.patient.site_id, "Only reviewers can return a follow-up to the site.")
    if current.status != Status.SUBMITTED:
        raise ValidationError("Only a submitted follow-up can be returned to the site.", code="not_submitted")
    question = _clean_text(question, "question")
    current.status = Status.RETURNED
    _save_followup(current, actor, "Returned to the site with a question")
    comment = ReactionComment(reaction=current.reaction, follow_up=current, author=actor,
                              kind=CommentKind.QUESTION, text=question)
    comment.full_clean()
    comment.save()
    notifications.notify_returned(current.reaction, question, what=_("Follow-up (version %(version)s) of") % {"version": current.case_version})
    return current


@transaction.atomic
def reaction_followup_lock(*, follow_up: ReactionFollowUp, actor) -> ReactionFollowUp:
    """A reviewer accepts the follow-up: its changes apply to the case, which becomes its next version."""
    current = _locked_followup(follow_up)
    _check_reviewer(actor, current.reaction.patient.site_id)
    if current.status != Status.SUBMITTED:
        raise ValidationError("Only a submitted follow-up can be reviewed.", code="not_submitted")
    reaction = InjectionSiteReaction.objects.select_for_update().get(pk=current.reaction_id)
    check_not_voided(reaction)
    if reaction.case_version + 1 != current.case_version:
        raise ValidationError("The case has changed since this follow-up was opened.", code="stale_follow_up")
    for name, value in current.changes.items():
        setattr(reaction, name, InjectionSiteReaction._meta.get_field(name).to_python(value))
    if not reaction.causality:
        raise ValidationError({"causality": "Assess causality before locking the follow-up."})
    reaction.case_version = current.case_version
    reaction.latest_information_on = current.received_on
    reaction.reviewed_by, reaction.reviewed_at = actor, timezone.now()
    reaction.version += 1
    validated_save(reaction, actor=actor, change_reason="Follow-up reviewed and locked")
    current.status = Status.REVIEWED
    current.reviewed_by, current.reviewed_at = actor, reaction.reviewed_at
    _save_followup(current, actor, "Reviewed and locked")
    notifications.notify_locked(reaction, what=_("Follow-up (version %(version)s) of") % {"version": current.case_version})
    current.reaction = reaction
    return current
