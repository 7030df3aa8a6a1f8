from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class Route(models.TextChoices):
    SUBCUTANEOUS = "subcutaneous", _("Subcutaneous")
    INTRAVENOUS = "intravenous", _("Intravenous")
    INTRAMUSCULAR = "intramuscular", _("Intramuscular")
    INTRADERMAL = "intradermal", _("Intradermal")
    OTHER = "other", _("Other")


class Product(models.Model):
    code = models.SlugField(max_length=50, unique=True, help_text="Lower-case code used in imports, e.g. anakinra.")
    name = models.CharField(max_length=200)
    route = models.CharField(max_length=20, choices=Route.choices, default=Route.SUBCUTANEOUS)
    history = HistoricalRecords()

    class Meta:
        ordering = ["code"]

    def __str__(self):
        return self.name

    def current_reference_profile(self):
        return self.reference_profiles.filter(is_current=True).first()


share_validators = [MinValueValidator(0), MaxValueValidator(1)]


class ReferenceProfile(models.Model):
    """A product's documented ISR profile, as data with its citation.

    Figures are stored exactly as the source gives them (shares as proportions 0–1, with
    the n the source cites); a product can have several profiles, one marked current,
    and every edit is kept in history.
    """

    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="reference_profiles")
    label = models.CharField(max_length=200, help_text="Short name, e.g. 'Kineret RA overview'.")
    source_citation = models.TextField(help_text="Full citation of the source document.")
    source_url = models.URLField(blank=True)
    source_document = models.CharField(max_length=300, blank=True, help_text="Document name, section or page.")
    effective_date = models.DateField()
    isr_incidence = models.DecimalField(max_digits=6, decimal_places=5, validators=share_validators,
                                        help_text="Share of exposed patients with at least one ISR (0–1).")
    isr_incidence_n = models.PositiveIntegerField(null=True, blank=True, help_text="n cited with the incidence.")
    comparator_incidence = models.DecimalField(max_digits=6, decimal_places=5, null=True, blank=True,
                                               validators=share_validators,
                                               help_text="Placebo/comparator ISR incidence, if the source gives one.")
    mild_moderate_share = models.DecimalField(max_digits=6, decimal_places=5, null=True, blank=True,
                                              validators=share_validators,
                                              help_text="Share of patients with ISR whose ISRs were mild or moderate (0–1).")
    mild_moderate_n = models.PositiveIntegerField(null=True, blank=True)
    duration_min_days = models.PositiveIntegerField(null=True, blank=True)
    duration_max_days = models.PositiveIntegerField(null=True, blank=True)
    safety_database_patients = models.PositiveIntegerField(null=True, blank=True)
    exposed_6_months = models.PositiveIntegerField(null=True, blank=True)
    exposed_12_months = models.PositiveIntegerField(null=True, blank=True)
    dose_mg_per_day = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    is_current = models.BooleanField(default=False, help_text="The profile reports compare against by default.")
    notes = models.TextField(blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["product", "-is_current", "-effective_date"]
        constraints = [
            models.UniqueConstraint(fields=["product"], condition=models.Q(is_current=True),
                                    name="one_current_reference_profile_per_product"),
        ]

    def __str__(self):
        return f"{self.product.code}: {self.label} ({self.effective_date})"

    def clean(self):
        if (self.duration_min_days is None) != (self.duration_max_days is None):
            raise ValidationError({"duration_max_days": "Give both ends of the duration range, or neither."})
        if self.duration_min_days is not None and self.duration_max_days < self.duration_min_days:
            raise ValidationError({"duration_max_days": "The upper end of the range is below the lower end."})
