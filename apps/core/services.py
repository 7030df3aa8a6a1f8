"""Write helpers shared by the domain services."""
from django.core.exceptions import ValidationError
from django.utils import timezone

from apps.audit.signatures import record_signature, signature_note

# Reasons are kept whole in history (SIMPLE_HISTORY_HISTORY_CHANGE_REASON_USE_TEXT_FIELD), up to this.
from .models import REASON_MAX_LENGTH


def clean_reason(reason, *, field="reason", what="the change"):
    """A stripped reason of sensible length, or a ValidationError naming the field."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({field: f"Give a reason for {what}."})
    if len(reason) > REASON_MAX_LENGTH:
        raise ValidationError({field: f"Keep the reason under {REASON_MAX_LENGTH} characters."})
    return reason


class EditConflict(ValidationError):
    """Someone else saved the record after the editor loaded it."""


def check_version(current, expected_version, what):
    """Refuse an edit made on an older version of `current` (the same message for every record type)."""
    if expected_version is not None and current.version != expected_version:
        raise EditConflict(
            "Someone else saved this %(what)s after you opened it (your version %(mine)s, now %(theirs)s). "
            "Reload the page to see their changes, then make yours again.",
            code="edit_conflict", params={"what": what, "mine": expected_version, "theirs": current.version})


def validated_save(instance, *, actor=None, change_reason=None):
    """Run every model rule, then save, recording who made the change (and why) in history."""
    instance.full_clean()
    return save_validated(instance, actor=actor, change_reason=change_reason)


def save_validated(instance, *, actor=None, change_reason=None):
    """Save a record whose full_clean() the caller has just run (one validation pass per save)."""
    if actor is not None:
        instance._history_user = actor
    if change_reason:
        instance._change_reason = change_reason
    instance.save()
    return instance


def record_void(instance, *, actor, reason, signature=None):
    """Void a record: kept in the database and in history, hidden from listings and counts.

    `signature` (apps.audit.signatures.VerifiedSigner) is the voider's electronic signature, from the web form."""
    reason = clean_reason(reason, field="void_reason", what="voiding the record")
    if instance.is_voided:
        raise ValidationError("The record is already voided.")
    if hasattr(instance, "version"):
        instance.version += 1
    instance.voided_at = timezone.now()
    instance.voided_by = actor
    instance.void_reason = reason
    instance._history_user = actor
    instance._change_reason = f"Voided: {reason}" + (f" ({signature_note(signature)})" if signature else "")
    instance.save()
    if signature is not None:
        record_signature(signature, instance)
    return instance


def note_on_locked_cases(cases, *, actor, note):
    """Record on each locked case's history that data it reports changed, and why (never silently).

    The case gets a new version, so a form opened before the change fails its version check.
    """
    for case in cases:
        case.version += 1
        case._history_user = actor
        case._change_reason = note
        case.save(update_fields=["version", "updated_at"])
