"""Writes of injection-site reactions: creation, edits with lost-update protection,
the draft → submitted → reviewed workflow, and voiding."""
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from apps.audit.models import SignedAct
from apps.audit.signatures import record_signature, require_signature, signature_note
from apps.core.policy import may_review
from apps.core.services import check_version, record_void, save_validated, validated_save
from apps.patients.models import Patient

from . import policies
from .choices import Status
from .models import InjectionSiteReaction

EDITABLE_FIELDS = (
    "onset_date", "resolution_date", "severity", "ctcae_grade", "symptoms", "seriousness", "outcome",
    "action_taken", "injection_site", "diameter_mm", "reporter_qualification", "narrative",
    "meddra_llt_code", "meddra_version",
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
    """A draft goes to the reviewers; from then on reporters cannot change it."""
    current = InjectionSiteReaction.objects.select_for_update().select_related("patient").get(pk=reaction.pk)
    if current.status != Status.DRAFT:
        raise ValidationError("Only a draft can be submitted.", code="not_draft")
    policies.may_submit(actor, current).require()
    current.status = Status.SUBMITTED
    current.submitted_by = actor
    current.version += 1
    return validated_save(current, actor=actor, change_reason="Submitted for review")


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
    return current


@transaction.atomic
def reaction_void(*, reaction: InjectionSiteReaction, actor, reason, signature=None) -> InjectionSiteReaction:
    current = InjectionSiteReaction.objects.select_for_update().select_related("patient").get(pk=reaction.pk)
    policies.may_void(actor, current).require()
    return record_void(current, actor=actor, reason=reason, signature=signature)
