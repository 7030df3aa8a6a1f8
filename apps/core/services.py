"""Write helpers shared by the domain services."""
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django.utils.text import Truncator

HISTORY_REASON_MAX_LENGTH = 100


def validated_save(instance, *, actor=None, change_reason=None):
    """Run every model rule, then save, recording who made the change in history."""
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


def record_void(instance, *, actor, reason):
    """Void a record: kept in the database and in history, hidden from listings and counts."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"void_reason": "Give a reason for voiding the record."})
    if instance.is_voided:
        raise ValidationError("The record is already voided.")
    instance.voided_at = timezone.now()
    instance.voided_by = actor
    instance.void_reason = reason
    instance._history_user = actor
    # History keeps the reason in 100 characters (simple-history's column); void_reason keeps it whole.
    instance._change_reason = Truncator(f"Voided: {reason}").chars(HISTORY_REASON_MAX_LENGTH)
    instance.save()
    return instance


def check_not_voided(instance):
    """A voided record is kept as it was voided: no further edits."""
    if instance.is_voided:
        raise ValidationError("The record is voided and can no longer be changed.", code="voided")


def check_site_access(actor, site_id):
    """Refuse a site-bound user any record of another site."""
    if actor is not None and actor.site_id and actor.site_id != site_id:
        raise PermissionDenied("This record belongs to another site.")
