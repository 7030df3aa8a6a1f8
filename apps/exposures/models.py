from django.apps import apps as django_apps
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F
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
    constraints_checked_by_clean = ("exposure_ends_on_or_after_start",)

    objects = ExposureQuerySet.as_manager()

    class Meta:
        ordering = ["patient", "product", "start_date"]
        indexes = [
            models.Index(fields=["product", "start_date"]),
            models.Index(fields=["patient", "product"]),
            # The listing's order (newest start first) and its reverse, read a page at a time.
            models.Index(fields=["start_date", "id"], name="exposure_list_start_idx"),
        ]
        # On PostgreSQL an exclusion constraint also makes overlapping live periods of one patient and product
        # impossible (migration exposures.*_exposure_date_constraints: btree_gist, daterange).
        constraints = [
            models.CheckConstraint(condition=models.Q(end_date__isnull=True) | models.Q(end_date__gte=F("start_date")),
                                   name="exposure_ends_on_or_after_start"),
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

    def reactions_left_uncovered(self, *, product_id, remaining):
        """Live reactions of this patient to `product_id` that would precede every period of `remaining`
        (or have no period at all): what an edit or void must not leave behind. At most 11 (10 named)."""
        # Looked up in the app registry: the reactions app builds on this one, not the other way round.
        reactions = django_apps.get_model("reactions", "InjectionSiteReaction").objects.filter(patient_id=self.patient_id, product_id=product_id,
                                                         voided_at__isnull=True)
        if remaining:
            reactions = reactions.filter(onset_date__lt=min(period.start_date for period in remaining))
        return list(reactions.order_by("onset_date", "reaction_ref").values_list("reaction_ref", "onset_date")[:11])

    def uncovered_reactions_error(self, uncovered, remaining, action):
        """The refusal naming the reactions (the user first voids or moves them)."""
        named = ", ".join(f"{ref} (onset {onset.isoformat()})" for ref, onset in uncovered[:10])
        if len(uncovered) > 10:
            named += " and more"
        where = (f"before the patient's first remaining exposure ({min(p.start_date for p in remaining).isoformat()})"
                 if remaining else "without any exposure to this product")
        return ValidationError(
            "%(action)s would leave reactions %(reactions)s %(where)s. Void or correct those reactions first.",
            code="reactions_left_uncovered", params={"action": action, "reactions": named, "where": where})

    @classmethod
    def from_db(cls, db, field_names, values):
        """Remember the product and start as loaded, so that clean() sees what an edit changes without a query."""
        instance = super().from_db(db, field_names, values)
        instance._loaded = {"product_id": getattr(instance, "product_id", None),
                            "start_date": getattr(instance, "start_date", None)}
        return instance

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        self._loaded = {"product_id": self.product_id, "start_date": self.start_date}

    def _check_reactions_stay_covered(self, siblings, errors):
        """An edit that moves the start later (or to another product) must keep every live reaction of the
        patient on or after their first live exposure."""
        original = getattr(self, "_loaded", None)
        if original is None:
            return
        checks = []
        if original["product_id"] != self.product_id:
            old_product_periods = list(ExposurePeriod.objects.filter(
                patient_id=self.patient_id, product_id=original["product_id"], voided_at__isnull=True)
                .exclude(pk=self.pk))
            checks.append((original["product_id"], old_product_periods))
        elif self.start_date > original["start_date"]:
            checks.append((self.product_id, [*siblings, self]))
        for product_id, remaining in checks:
            uncovered = self.reactions_left_uncovered(product_id=product_id, remaining=remaining)
            if uncovered:
                errors.setdefault("start_date", []).append(
                    self.uncovered_reactions_error(uncovered, remaining, "This change"))

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
                siblings = list(self.siblings())
            overlapping = next((other for other in siblings if other is not self and self.overlaps(other)), None)
            if overlapping:
                errors["start_date"] = [ValidationError(
                    "This period overlaps another exposure to the same product (%(start)s to %(end)s); "
                    "end that one first, or record a dose change as a new period.",
                    code="overlapping_exposure",
                    params={"start": overlapping.start_date.isoformat(),
                            "end": overlapping.end_date.isoformat() if overlapping.end_date else "ongoing"})]
            if not errors and self.pk and self.voided_at is None:
                others = [p for p in siblings if p is not self and p.pk != self.pk]
                self._check_reactions_stay_covered(others, errors)
        if errors:
            raise ValidationError(errors)
