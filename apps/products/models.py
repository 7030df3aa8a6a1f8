from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from apps.core.models import NOTE_MAX_LENGTH, VersionedModel, bounded_text

DEFAULT_RISK_WINDOW_DAYS = 30


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
    is_biological = models.BooleanField(
        default=False, verbose_name="biological medicine",
        help_text="Biological medicines have shorter reporting clocks in some countries (Italy: 36 hours).")
    risk_window_days = models.PositiveIntegerField(
        default=DEFAULT_RISK_WINDOW_DAYS, validators=[MaxValueValidator(3650)], verbose_name="risk window (days)",
        help_text="A reaction is attributable when its onset lies in an exposure period or at most this many days "
                  "after one ended; later onsets are counted apart as late onsets.")
    history = HistoricalRecords()

    class Meta:
        ordering = ["code"]

    def __str__(self):
        return self.name

    def current_reference_profile(self):
        """The primary profile: the one verdicts and monitoring use."""
        return self.reference_profiles.filter(is_primary=True).first()

    def current_reference_profiles(self):
        """Every current profile, the primary first: the report shows observed figures against each."""
        return self.reference_profiles.filter(is_current=True).order_by("-is_primary", "-effective_date", "pk")


share_validators = [MinValueValidator(0), MaxValueValidator(1)]


def validate_event_rates(value):
    """Event rates by exposure period: a list of {"period", "events_per_100py"[, "patient_years"]}."""
    if not isinstance(value, list):
        raise ValidationError("Give a list of periods, e.g. [{\"period\": \"0-1 y\", \"events_per_100py\": 260.12}].")
    for index, row in enumerate(value, start=1):
        if not isinstance(row, dict) or not isinstance(row.get("period"), str) or not row["period"].strip():
            raise ValidationError(f"Period {index}: needs a \"period\" label.")
        for key in ("events_per_100py", "patient_years"):
            number = row.get(key)
            if key == "patient_years" and number is None:
                continue
            if isinstance(number, bool) or not isinstance(number, (int, float)) or number < 0 or number != number:
                raise ValidationError(f"Period {index}: \"{key}\" must be a number ≥ 0.")
        unknown = set(row) - {"period", "events_per_100py", "patient_years"}
        if unknown:
            raise ValidationError(f"Period {index}: unknown keys {', '.join(sorted(unknown))}.")


class ReferenceProfile(VersionedModel):
    """A product's documented ISR profile, as data with its citation.

    Figures are stored exactly as the source gives them (shares as proportions 0–1, with
    the n the source cites); a product can have several current profiles, shown side by side,
    of which one is primary (verdicts and monitoring use it); every edit is kept in history.
    """

    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="reference_profiles")
    label = models.CharField(max_length=200, help_text="Short name, e.g. 'Kineret RA overview'.")
    source_citation = models.TextField(help_text="Full citation of the source document.", max_length=NOTE_MAX_LENGTH,
                                       validators=bounded_text(NOTE_MAX_LENGTH))
    source_url = models.URLField(blank=True)
    source_document = models.CharField(max_length=300, blank=True, help_text="Document name, section or page.")
    effective_date = models.DateField()
    isr_incidence = models.DecimalField(max_digits=6, decimal_places=5, null=True, blank=True,
                                        validators=share_validators,
                                        help_text="Share of exposed patients with at least one ISR (0–1).")
    isr_incidence_n = models.PositiveIntegerField(null=True, blank=True, help_text="n cited with the incidence.")
    comparator_incidence = models.DecimalField(max_digits=6, decimal_places=5, null=True, blank=True,
                                               validators=share_validators,
                                               help_text="Placebo/comparator ISR incidence, if the source gives one.")
    comparator_n = models.PositiveIntegerField(null=True, blank=True, help_text="n cited with the comparator.")
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
    follow_up_horizon_days = models.PositiveIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(3650)],
        help_text="Follow-up of the source's treated population (168 for 24-week trials). When set, incidence "
                  "is compared on the horizon cohort: patients with this many days of possible follow-up.")
    event_rates_per_100py = models.JSONField(
        default=list, blank=True, validators=[validate_event_rates],
        help_text="ISR events per 100 patient-years by exposure period, as the source gives them: "
                  "[{\"period\": \"0-1 y\", \"events_per_100py\": 260.12, \"patient_years\": 1041.8}].")
    is_current = models.BooleanField(default=False, help_text="Shown beside the report's observed figures.")
    is_primary = models.BooleanField(default=False, help_text="The current profile verdicts and monitoring use "
                                                              "(one per product).")
    notes = models.TextField(blank=True, max_length=NOTE_MAX_LENGTH, validators=bounded_text(NOTE_MAX_LENGTH))
    history = HistoricalRecords()

    class Meta:
        ordering = ["product", "-is_primary", "-is_current", "-effective_date"]
        constraints = [
            models.UniqueConstraint(fields=["product"], condition=models.Q(is_primary=True),
                                    name="one_primary_reference_profile_per_product"),
            models.CheckConstraint(condition=models.Q(is_primary=False) | models.Q(is_current=True),
                                   name="primary_reference_profile_is_current"),
        ]

    def __str__(self):
        return f"{self.product.code}: {self.label} ({self.effective_date})"

    def clean(self):
        if (self.duration_min_days is None) != (self.duration_max_days is None):
            raise ValidationError({"duration_max_days": "Give both ends of the duration range, or neither."})
        if self.duration_min_days is not None and self.duration_max_days < self.duration_min_days:
            raise ValidationError({"duration_max_days": "The upper end of the range is below the lower end."})
        if self.is_primary and not self.is_current:
            raise ValidationError({"is_current": "The primary profile must be current."})
        if self.isr_incidence is None and self.mild_moderate_share is None and not self.event_rates_per_100py:
            raise ValidationError({"isr_incidence": "Give at least an incidence, a mild/moderate share or event rates."})
