"""Writes of injection-site reactions: creation, edits with lost-update protection,
the draft → submitted → (returned → submitted) → reviewed workflow, comments, follow-ups, voiding.

Each workflow step is one keyword-only service so that an electronic signature can wrap it.
"""
import copy
from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from apps.audit.models import SignedAct
from apps.audit.signatures import record_signature, require_signature, signature_note
from apps.core.policy import may_review
from apps.core.services import check_version, record_void, save_validated, validated_save
from apps.patients.models import Patient

from . import notifications, policies
from .choices import SITE_EDITABLE, CommentKind, Status
from .models import InjectionSiteReaction, ReactionComment, ReactionFollowUp

EDITABLE_FIELDS = (
    "onset_date", "resolution_date", "severity", "ctcae_grade", "symptoms", "seriousness", "outcome",
    "action_taken", "injection_site", "diameter_mm", "reporter_qualification", "narrative",
    "meddra_llt_code", "meddra_version", "received_date", "latest_information_date",
)
REVIEWER_FIELDS = ("causality",)


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


@transaction.atomic
def reaction_create(*, reaction_ref, patient, product, onset_date, severity, symptoms, outcome, actor=None,
                    confirm_duplicate=False, status=Status.DRAFT, **fields) -> InjectionSiteReaction:
    unknown = set(fields) - set(EDITABLE_FIELDS) - set(REVIEWER_FIELDS)
    if unknown:
        raise TypeError(f"Unknown reaction fields: {', '.join(sorted(unknown))}")
    reaction = InjectionSiteReaction(
        reaction_ref=reaction_ref.strip(), patient=patient, product=product, onset_date=onset_date,
        severity=severity, symptoms=symptoms, outcome=outcome, status=status, reporter=actor, **fields)
    policies.may_create(actor, patient).require()
    policies.may_edit(actor, reaction).require()
    if actor is not None and fields.get("causality") and not may_review(actor):
        raise PermissionDenied("Causality is assessed by a reviewer.")
    reaction.full_clean()
    _check_duplicates(reaction, confirm_duplicate)
    return save_validated(reaction, actor=actor)


@transaction.atomic
def reaction_update(*, reaction: InjectionSiteReaction, actor=None, expected_version=None,
                    confirm_duplicate=False, reason="", **fields) -> InjectionSiteReaction:
    """Apply an edit unless someone saved the record since the editor loaded `expected_version`.

    After submission every edit needs a reason for change, kept in the history."""
    current = InjectionSiteReaction.objects.select_for_update().select_related("patient").get(pk=reaction.pk)
    check_version(current, expected_version, "reaction")
    policies.may_edit(actor, current).require()
    allowed = set(EDITABLE_FIELDS) | (set(REVIEWER_FIELDS) if may_review(actor) else set())
    refused = set(fields) - allowed
    if refused:
        raise PermissionDenied(f"You cannot change: {', '.join(sorted(refused))}.")
    if current.status != Status.DRAFT and not (reason or "").strip():
        raise ValidationError({"reason": "The case is submitted: give the reason for the change."})
    onset_changed = "onset_date" in fields and fields["onset_date"] != current.onset_date
    for name, value in fields.items():
        setattr(current, name, value)
    current.full_clean()
    if onset_changed:
        _check_duplicates(current, confirm_duplicate)
    current.version += 1
    return save_validated(current, actor=actor, change_reason=(reason or "").strip() or None)


@transaction.atomic
def reaction_submit(*, reaction: InjectionSiteReaction, actor=None) -> InjectionSiteReaction:
    """A draft (or a case returned with a question) goes to the reviewers; reporters can no longer change it."""
    current = InjectionSiteReaction.objects.select_for_update().select_related("patient__site").get(pk=reaction.pk)
    if current.status not in SITE_EDITABLE:
        raise ValidationError("Only a draft or a returned case can be submitted.", code="not_draft")
    policies.may_submit(actor, current).require()
    reason = "Resubmitted after a question" if current.status == Status.RETURNED else "Submitted for review"
    current.status = Status.SUBMITTED
    current.submitted_by = actor
    current.version += 1
    validated_save(current, actor=actor, change_reason=reason)
    notifications.notify_submitted(current)
    return current


def _clean_text(text, field="text", message="Write the question to the site."):
    text = (text or "").strip()
    if not text:
        raise ValidationError({field: message})
    return text


@transaction.atomic
def reaction_return(*, reaction: InjectionSiteReaction, actor, question, signature=None) -> InjectionSiteReaction:
    """A reviewer sends a submitted case back to its site with a question, signing it; the site answers by
    editing it and submitting again."""
    require_signature(signature, actor=actor, act=SignedAct.RETURN)
    current = InjectionSiteReaction.objects.select_for_update().select_related("patient__site").get(pk=reaction.pk)
    if current.status != Status.SUBMITTED:
        raise ValidationError("Only a submitted case can be returned to the site.", code="not_submitted")
    policies.may_return(actor, current).require()
    question = _clean_text(question, "question")
    current.status = Status.RETURNED
    current.version += 1
    note = "Returned to the site with a question" + (f", {signature_note(signature)}" if signature else "")
    validated_save(current, actor=actor, change_reason=note)
    if signature is not None:
        record_signature(signature, current)
    comment = ReactionComment(reaction=current, author=actor, kind=CommentKind.QUESTION, text=question)
    comment.full_clean()
    comment.save()
    notifications.notify_returned(current, question)
    return current


@transaction.atomic
def reaction_comment_add(*, reaction: InjectionSiteReaction, actor, text, follow_up=None) -> ReactionComment:
    """A remark on a case by anyone who works on it (reporters of its site, reviewers)."""
    policies.may_comment(actor, reaction).require()
    comment = ReactionComment(reaction=reaction, author=actor, text=_clean_text(text, message="Write the comment."),
                              follow_up=follow_up)
    comment.full_clean()
    comment.save()
    return comment


@transaction.atomic
def reaction_review(*, reaction: InjectionSiteReaction, actor, causality, meddra_llt_code=None,
                    meddra_version=None, signature=None) -> InjectionSiteReaction:
    """A reviewer assesses causality and locks the report, signing it electronically."""
    require_signature(signature, actor=actor, act=SignedAct.REVIEW)
    current = InjectionSiteReaction.objects.select_for_update().select_related("patient").get(pk=reaction.pk)
    if current.status != Status.SUBMITTED:
        raise ValidationError("Only a submitted reaction can be reviewed.", code="not_submitted")
    policies.may_review_case(actor, current).require()
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
    note = "Reviewed and locked" + (f", {signature_note(signature)}" if signature else "")
    validated_save(current, actor=actor, change_reason=note)
    if signature is not None:
        record_signature(signature, current)
    notifications.notify_locked(current)
    return current


@transaction.atomic
def reaction_void(*, reaction: InjectionSiteReaction, actor, reason, signature=None) -> InjectionSiteReaction:
    current = InjectionSiteReaction.objects.select_for_update().select_related("patient").get(pk=reaction.pk)
    policies.may_void(actor, current).require()
    return record_void(current, actor=actor, reason=reason, signature=signature)


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
    if actor is not None and not may_review(actor) and set(fields) & set(REVIEWER_FIELDS) and \
            any(fields[name] != getattr(reaction, name) for name in REVIEWER_FIELDS if name in fields):
        raise PermissionDenied("Causality is assessed by a reviewer.")
    changes = {name: _as_json(value) for name, value in fields.items() if value != getattr(reaction, name)}
    proposed = copy.copy(reaction)
    for name, value in fields.items():
        setattr(proposed, name, value)
    proposed.full_clean()
    return changes


@transaction.atomic
def reaction_followup_create(*, reaction: InjectionSiteReaction, actor, received_on, summary,
                             **fields) -> ReactionFollowUp:
    """Open the next version of a locked case with the new information and its receipt date."""
    current = InjectionSiteReaction.objects.select_for_update().select_related("patient__site").get(pk=reaction.pk)
    if current.status != Status.REVIEWED:
        raise ValidationError("Only a reviewed (locked) case takes a follow-up; edit the case itself.",
                              code="not_locked")
    if current.follow_ups.exclude(status=Status.REVIEWED).exists():
        raise ValidationError("This case already has a follow-up in progress; complete that one first.",
                              code="follow_up_open")
    policies.may_create_follow_up(actor, current).require()
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
    policies.may_edit_follow_up(actor, current).require()
    current.received_on, current.summary = received_on, (summary or "").strip()
    current.changes = _followup_changes(current.reaction, actor, fields)
    return _save_followup(current, actor, "Edited")


@transaction.atomic
def reaction_followup_submit(*, follow_up: ReactionFollowUp, actor) -> ReactionFollowUp:
    current = _locked_followup(follow_up)
    if current.status not in SITE_EDITABLE:
        raise ValidationError("Only a draft or a returned follow-up can be submitted.", code="not_draft")
    policies.may_submit_follow_up(actor, current).require()
    if not current.changes:
        raise ValidationError("The follow-up changes nothing in the case: record what the new information changes.",
                              code="no_changes")
    current.status = Status.SUBMITTED
    _save_followup(current, actor, "Submitted for review")
    notifications.notify_submitted(current.reaction, follow_up_version=current.case_version)
    return current


@transaction.atomic
def reaction_followup_return(*, follow_up: ReactionFollowUp, actor, question, signature=None) -> ReactionFollowUp:
    require_signature(signature, actor=actor, act=SignedAct.RETURN)
    if actor is not None:
        may_review(actor).require()
    current = _locked_followup(follow_up)
    if current.status != Status.SUBMITTED:
        raise ValidationError("Only a submitted follow-up can be returned to the site.", code="not_submitted")
    policies.may_review_follow_up(actor, current).require()
    question = _clean_text(question, "question")
    current.status = Status.RETURNED
    _save_followup(current, actor, "Returned to the site with a question"
                   + (f", {signature_note(signature)}" if signature else ""))
    if signature is not None:
        record_signature(signature, current.reaction)
    comment = ReactionComment(reaction=current.reaction, follow_up=current, author=actor,
                              kind=CommentKind.QUESTION, text=question)
    comment.full_clean()
    comment.save()
    notifications.notify_returned(current.reaction, question, follow_up_version=current.case_version)
    return current


@transaction.atomic
def reaction_followup_lock(*, follow_up: ReactionFollowUp, actor, signature=None) -> ReactionFollowUp:
    """A reviewer accepts the follow-up, signing it: its changes apply to the case, which becomes its next
    version."""
    require_signature(signature, actor=actor, act=SignedAct.FOLLOW_UP_LOCK)
    if actor is not None:
        may_review(actor).require()
    current = _locked_followup(follow_up)
    if current.status != Status.SUBMITTED:
        raise ValidationError("Only a submitted follow-up can be reviewed.", code="not_submitted")
    policies.may_lock_follow_up(actor, current).require()
    reaction = InjectionSiteReaction.objects.select_for_update().select_related("patient").get(pk=current.reaction_id)
    if reaction.case_version + 1 != current.case_version:
        raise ValidationError("The case has changed since this follow-up was opened.", code="stale_follow_up")
    for name, value in current.changes.items():
        setattr(reaction, name, InjectionSiteReaction._meta.get_field(name).to_python(value))
    if not reaction.causality:
        raise ValidationError({"causality": "Assess causality before locking the follow-up."})
    reaction.case_version = current.case_version
    reaction.latest_information_date = current.received_on
    reaction.reviewed_by, reaction.reviewed_at = actor, timezone.now()
    reaction.version += 1
    note = f", {signature_note(signature)}" if signature else ""
    validated_save(reaction, actor=actor, change_reason="Follow-up reviewed and locked" + note)
    current.status = Status.REVIEWED
    current.reviewed_by, current.reviewed_at = actor, reaction.reviewed_at
    _save_followup(current, actor, "Reviewed and locked" + note)
    if signature is not None:
        record_signature(signature, reaction)
    notifications.notify_locked(reaction, follow_up_version=current.case_version)
    current.reaction = reaction
    return current
