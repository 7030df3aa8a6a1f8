from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.urls import reverse
from simple_history.models import HistoricalRecords

from apps.core.models import VersionedModel, VoidableModel, VoidableQuerySet, reference_validator, reject_future
from apps.products.models import Route


class ExposureQuerySet(VoidableQuerySet):
    site_lookup = "patient__site"
    parent_lookup = "patient"


class ExposurePeriod(VersionedModel, VoidableModel):
    """An uninterrupted period on one dose of one product; a dose change starts a new period."""

    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="exposure_periods")
    product = models.ForeignKey("products.Product", on_delete=models.PROTECT, related_name="exposure_periods")
    start_date = models.DateField()
    end_date = models.DateField(null=True, blank=True, help_text="Leave empty while the exposure is ongoing.")
    dose_mg_per_day = models.DecimalField(max_digits=8, decimal_places=2, validators=[MinValueValidator(0.01)],
                                          verbose_name="dose (mg/day)")
    route = models.CharField(max_length=20, choices=Route.choices, default=Route.SUBCUTANEOUS)
    lot_number = models.CharField(max_length=50, blank=True, validators=[reference_validator])
    history = HistoricalRecords()

    objects = ExposureQuerySet.as_manager()

    class Meta:
        ordering = ["patient", "product", "start_date"]
        indexes = [
            models.Index(fields=["product", "start_date"]),
            models.Index(fields=["patient", "product"]),
            # The listing's order (newest start first) and its reverse, read a page at a time.
            models.Index(fields=["start_date", "id"], name="exposure_list_start_idx"),
        ]

    def __str__(self):
        end = self.end_date or "ongoing"
        return f"{self.product_id and self.product.code} {self.start_date} – {end}, {self.dose_mg_per_day} mg/day"

    def get_absolute_url(self):
        return reverse("exposures:detail", args=[self.pk])

    @property
    def is_ongoing(self):
        return self.end_date is None

    def overlaps(self, other):
        """True when the two periods share at least one day (an ongoing period never ends)."""
        self_ends_before = self.end_date is not None and self.end_date < other.start_date
        other_ends_before = other.end_date is not None and other.end_date < self.start_date
        return not (self_ends_before or other_ends_before)

    def siblings(self):
        """The patient's other live periods of the same product."""
        return (ExposurePeriod.objects.filter(patient_id=self.patient_id, product_id=self.product_id,
                                              voided_at__isnull=True).exclude(pk=self.pk))

    def clean(self):
        errors = {}
        reject_future(self.start_date, "start_date", errors)
        reject_future(self.end_date, "end_date", errors)
        if self.start_date and self.end_date and self.end_date < self.start_date:
            errors.setdefault("end_date", []).append(
                ValidationError("The end date is before the start date.", code="end_before_start"))
        if not errors and self.start_date and self.patient_id and self.product_id:
            # The importer passes the periods it already holds, to avoid one query per row.
            siblings = getattr(self, "known_siblings", None)
            if siblings is None:
                siblings = self.siblings()
            overlapping = next((other for other in siblings if other is not self and self.overlaps(other)), None)
            if overlapping:
                errors["start_date"] = [ValidationError(
                    "This period overlaps another exposure to the same product (%(start)s to %(end)s); "
                    "end that one first, or record a dose change as a new period.",
                    code="overlapping_exposure",
                    params={"start": overlapping.start_date.isoformat(),
                            "end": overlapping.end_date.isoformat() if overlapping.end_date else "ongoing"})]
        if errors:
            raise ValidationError(errors)
