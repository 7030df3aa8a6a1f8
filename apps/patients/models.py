from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from apps.core.models import VoidableModel, today


class Sex(models.TextChoices):
    FEMALE = "female", _("Female")
    MALE = "male", _("Male")
    OTHER = "other", _("Other")
    UNKNOWN = "unknown", _("Unknown")


class Patient(VoidableModel):
    """A pseudonymous patient: a site's own reference, never a name or contact detail."""

    site = models.ForeignKey("accounts.Site", on_delete=models.PROTECT, related_name="patients")
    patient_ref = models.CharField(max_length=50, verbose_name="patient reference",
                                   help_text="The site's pseudonymous code for the patient.")
    sex = models.CharField(max_length=10, choices=Sex.choices, default=Sex.UNKNOWN)
    birth_year = models.PositiveSmallIntegerField(null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["site__code", "patient_ref"]
        constraints = [
            models.UniqueConstraint(fields=["site", "patient_ref"], name="unique_patient_ref_per_site"),
        ]
        # Sorting the listing by reference across sites (within a site the constraint's index serves).
        indexes = [models.Index(fields=["patient_ref", "id"], name="patient_list_ref_idx")]

    def __str__(self):
        return f"{self.patient_ref} ({self.site_id and self.site.code})"

    def clean(self):
        if self.birth_year is not None and not 1900 <= self.birth_year <= today().year:
            raise ValidationError({"birth_year": f"Birth year must be between 1900 and {today().year}."})
