"""Behaviour shared by every clinical record."""
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


# References (patient, reaction, lot) travel into file names, headers and E2B messages: a safe alphabet only.
REFERENCE_CHARACTERS = "letters, digits and - _ . /"
reference_validator = RegexValidator(
    r"^[A-Za-z0-9][A-Za-z0-9_./-]*\Z", f"Use only {REFERENCE_CHARACTERS} (starting with a letter or digit).",
    code="reference_characters")

# Longest free text: long enough for any real note, short enough that a page or PDF stays quick.
REASON_MAX_LENGTH = 2000
NOTE_MAX_LENGTH = 5000
NARRATIVE_MAX_LENGTH = 10_000


def bounded_text(limit):
    """Validators for a TextField holding at most `limit` characters (TextField's max_length is the form's only)."""
    return [MaxLengthValidator(limit)]


class VoidableQuerySet(models.QuerySet):
    """Reads of a voidable record type: `.live()` and `.visible_to(user)` instead of repeated filters."""

    site_lookup = "site"  # the path from the record to its site
    parent_lookup = None  # a voidable parent (the patient) whose voiding hides the record too

    def live(self):
        """Records that count: not voided, and not of a voided patient."""
        queryset = self.filter(voided_at__isnull=True)
        if self.parent_lookup:
            queryset = queryset.filter(**{f"{self.parent_lookup}__voided_at__isnull": True})
        return queryset

    def visible_to(self, user):
        """What the access policy lets `user` open: nothing without a usable role, one site when site-bound."""
        from .policy import NOTHING, visible_site

        site_id = visible_site(user)
        if site_id is NOTHING:
            return self.none()
        return self if site_id is None else self.at_site(site_id)

    def at_site(self, site_id):
        return self.filter(**{f"{self.site_lookup}_id": site_id})

    def listed_for(self, user, *, include_voided=False):
        """A listing: what the user may see, live only unless a reviewer asks for voided records too."""
        from .policy import may_see_voided

        queryset = self.visible_to(user)
        return queryset if include_voided and may_see_voided(user) else queryset.live()


class VersionedModel(models.Model):
    """An editable record with a version number: a form carries the version it showed, and saving it after
    someone else saved the record is a conflict instead of a lost update (apps.core.services.check_version)."""

    version = models.PositiveIntegerField(default=1, editable=False,
                                          help_text="Incremented on every save; guards against lost updates.")

    class Meta:
        abstract = True


class VoidableModel(models.Model):
    """Clinical records are never hard-deleted: they are voided with a reason and kept."""

    voided_at = models.DateTimeField(null=True, blank=True, editable=False)
    # No index: nothing selects records by who voided them; users are deactivated, never deleted, so
    # PROTECT's check (the only reader) does not run. Each index is written on every insert.
    voided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
        related_name="+", editable=False, db_index=False,
    )
    void_reason = models.TextField(blank=True, editable=False, max_length=REASON_MAX_LENGTH,
                                   validators=bounded_text(REASON_MAX_LENGTH))
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
