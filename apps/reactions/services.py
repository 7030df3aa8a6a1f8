"""Writes of injection-site reactions: creation, edits with lost-update protection,
the draft → submitted → reviewed workflow, and voiding."""
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from apps.accounts.roles import can_enter_data, is_reviewer
from apps.core.services import check_not_voided, check_site_access, record_void, save_validated, validated_save
from apps.patients.models import Patient

from .choices import Status
from .models import InjectionSiteReaction

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
    if reaction.status != Status.DRAFT and not is_reviewer(actor):
        raise PermissionDenied("Only drafts can be edited by reporters; ask a reviewer.")


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
    """A draft goes to the reviewers; from then on reporters cannot change it."""
    current = InjectionSiteReaction.objects.select_for_update().select_related("patient").get(pk=reaction.pk)
    _check_can_edit(actor, current)
    if current.status != Status.DRAFT:
        raise ValidationError("Only a draft can be submitted.", code="not_draft")
    current.status = Status.SUBMITTED
    current.version += 1
    return validated_save(current, actor=actor, change_reason="Submitted for review")


@transaction.atomic
def reaction_review(*, reaction: InjectionSiteReaction, actor, causality, meddra_llt_code=None,
                    meddra_version=None) -> InjectionSiteReaction:
    """A reviewer assesses causality and locks the report."""
    current = InjectionSiteReaction.objects.select_for_update().select_related("patient").get(pk=reaction.pk)
    if actor is not None:
        check_site_access(actor, current.patient.site_id)
        if not is_reviewer(actor):
            raise PermissionDenied("Only reviewers can review and lock reactions.")
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
    return validated_save(current, actor=actor, change_reason="Reviewed and locked")


@transaction.atomic
def reaction_void(*, reaction: InjectionSiteReaction, actor, reason) -> InjectionSiteReaction:
    current = InjectionSiteReaction.objects.select_for_update().select_related("patient").get(pk=reaction.pk)
    if actor is not None:
        check_site_access(actor, current.patient.site_id)
        if not (is_reviewer(actor) or (can_enter_data(actor) and current.status == Status.DRAFT)):
            raise PermissionDenied("Only reviewers can void a submitted or reviewed reaction.")
    current.version += 1
    return record_void(current, actor=actor, reason=reason)
