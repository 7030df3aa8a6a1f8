"""Behaviour shared by every clinical record."""
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class VoidableModel(models.Model):
    """Clinical records are never hard-deleted: they are voided with a reason and kept."""

    voided_at = models.DateTimeField(null=True, blank=True, editable=False)
    # No index: nothing selects records by who voided them; users are deactivated, never deleted, so
    # PROTECT's check (the only reader) does not run. Each index is written on every insert.
    voided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
        related_name="+", editable=False, db_index=False,
    )
    void_reason = models.TextField(blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True

    # Database constraints that clean() already enforces (with a message naming the field): full_clean() skips
    # Django's own validation of them, which costs one query per save (a million in a large import).
    constraints_checked_by_clean = ()

    def get_constraints(self):
        return [(model, [c for c in constraints if c.name not in self.constraints_checked_by_clean])
                for model, constraints in super().get_constraints()]

    @property
    def is_voided(self):
        return self.voided_at is not None

    def clean_fields(self, exclude=None):
        """Skip the existence query of a foreign key whose saved related record is already loaded.

        ForeignKey.validate() reads the related row again (one query per key per full_clean); a
        record loaded from the database, or chosen in a form that just read it, exists (records are
        never deleted, and the database's foreign key still guards the insert).
        """
        exclude = set(exclude or ())
        for field in self._meta.concrete_fields:
            if field.many_to_one and field.name not in exclude and field.is_cached(self):
                related = field.get_cached_value(self)
                if related is not None and related.pk is not None and not related._state.adding:
                    exclude.add(field.name)
        super().clean_fields(exclude=exclude)

    def delete(self, *args, **kwargs):
        raise ValidationError("Clinical records cannot be deleted; void them with a reason.")


def today():
    """The local date in TIME_ZONE, in one place so that tests can move the clock.

    The default zone is passed explicitly: looking up the active zone per call was a
    measurable share of the importer's time, and the app never activates another zone.
    """
    return timezone.localdate(timezone=timezone.get_default_timezone())


def reject_future(date_value, field_name, errors):
    if date_value and date_value > today():
        errors.setdefault(field_name, []).append(
            ValidationError(_("The date cannot be in the future."), code="future_date")
        )
