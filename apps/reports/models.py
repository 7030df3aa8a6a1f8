"""Aggregate ISR reports: a recorded request that becomes an immutable snapshot once done."""
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class ReportStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")
    # The data and parameters were those of an existing snapshot (`same_as`): nothing new was stored.
    DUPLICATE = "duplicate", "Same as an existing report"


class AggregateReport(models.Model):
    """One request for the ISR profile of a product as of a date, and, once done, its results.

    The request is recorded first (queued) so that a broker outage loses nothing; the worker
    claims it with a conditional UPDATE and writes the results once. A done report never
    changes: parameters, reference figures, data fingerprint and code version say exactly
    what it was computed from.
    """

    product = models.ForeignKey("products.Product", on_delete=models.PROTECT, related_name="aggregate_reports")
    as_of = models.DateField(verbose_name="as of")
    site = models.ForeignKey("accounts.Site", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                             help_text="Leave empty for all sites.")
    dose_mg_per_day = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True,
                                          verbose_name="dose (mg/day)")
    exposure_start_from = models.DateField(null=True, blank=True)
    exposure_start_to = models.DateField(null=True, blank=True)
    reference_profile = models.ForeignKey("products.ReferenceProfile", on_delete=models.PROTECT, related_name="+")

    params_key = models.CharField(max_length=64, db_index=True, editable=False,
                                  help_text="Hash of the parameters: equal keys mean the same question.")
    scheduled = models.BooleanField(default=False, help_text="Requested by the schedule: deviations send alerts.")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+")
    requested_at = models.DateTimeField(auto_now_add=True)

    status = models.CharField(max_length=10, choices=ReportStatus.choices, default=ReportStatus.QUEUED)
    error = models.TextField(blank=True)
    same_as = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    attempts = models.PositiveIntegerField(default=0)
    attempt_token = models.CharField(max_length=32, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    last_enqueued_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    data_fingerprint = models.CharField(max_length=64, blank=True)
    fingerprint_parts = models.JSONField(null=True, blank=True)
    reference_history_id = models.PositiveIntegerField(null=True, blank=True)
    reference_figures = models.JSONField(null=True, blank=True)
    results = models.JSONField(null=True, blank=True, help_text="The report's measures (the pv_aggregate --json keys).")
    details = models.JSONField(null=True, blank=True, help_text="Verdicts and chart series.")
    alerts = models.JSONField(default=list, blank=True)
    alerted_at = models.DateTimeField(null=True, blank=True)
    code_version = models.CharField(max_length=100, blank=True)
    timings = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["params_key", "data_fingerprint"], condition=models.Q(status="done"),
                                    name="one_snapshot_per_parameters_and_data"),
            models.UniqueConstraint(fields=["params_key"], condition=models.Q(status="queued"),
                                    name="one_queued_request_per_parameters"),
        ]
        indexes = [models.Index(fields=["status", "last_enqueued_at"])]

    def __str__(self):
        return f"Report #{self.pk}: {self.product_id and self.product.code} as of {self.as_of} ({self.status})"

    @property
    def is_finished(self):
        return self.status in (ReportStatus.DONE, ReportStatus.FAILED, ReportStatus.DUPLICATE)

    def clean(self):
        errors = {}
        if self.exposure_start_from and self.exposure_start_to and self.exposure_start_to < self.exposure_start_from:
            errors["exposure_start_to"] = "The end of the exposure start range is before its beginning."
        if self.exposure_start_from and self.as_of and self.exposure_start_from > self.as_of:
            errors["exposure_start_from"] = "The exposure start range begins after the as-of date."
        if self.reference_profile_id and self.product_id and self.reference_profile.product_id != self.product_id:
            errors["reference_profile"] = "This reference profile belongs to another product."
        if errors:
            raise ValidationError(errors)

    def save(self, *args, **kwargs):
        """Snapshots are immutable: state changes go through conditional UPDATEs in services."""
        if self.pk and AggregateReport.objects.filter(pk=self.pk, status=ReportStatus.DONE).exists():
            raise ValidationError("A finished report is an immutable snapshot; request a new one.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError("Reports are kept; they cannot be deleted.")


class SpendingType(models.TextChoices):
    OBRIEN_FLEMING = "obrien_fleming", _("O'Brien–Fleming type (Lan–DeMets)")
    POCOCK = "pocock", _("Pocock type (Lan–DeMets)")


class MonitoredMeasure(models.TextChoices):
    HORIZON_INCIDENCE = "horizon_incidence", _("Horizon incidence")
    HORIZON_MILD_MODERATE_SHARE = "horizon_mild_moderate_share", _("Horizon mild/moderate share")


class MonitoringPlan(models.Model):
    """Group-sequential monitoring of a product against one reference profile.

    Each scheduled report on or after the start date is a look at the cumulative horizon cohort; the
    overall two-sided α is spent over the information fraction n / N_max (Lan–DeMets), so that the
    chance of a false alarm over all looks stays α."""

    product = models.ForeignKey("products.Product", on_delete=models.PROTECT, related_name="monitoring_plans")
    reference_profile = models.ForeignKey("products.ReferenceProfile", on_delete=models.PROTECT,
                                          related_name="monitoring_plans")
    start_date = models.DateField(help_text="Scheduled reports as of this date or later are looks.")
    max_cohort_patients = models.PositiveIntegerField(
        verbose_name="N max", validators=[MinValueValidator(1)],
        help_text="Planned maximum horizon cohort: the information fraction of a look is n / N max (at most 1).")
    alpha = models.DecimalField(max_digits=4, decimal_places=3, default=Decimal("0.050"),
                                validators=[MinValueValidator(Decimal("0.001")), MaxValueValidator(Decimal("0.5"))],
                                help_text="Overall two-sided α over all looks.")
    spending = models.CharField(max_length=20, choices=SpendingType.choices, default=SpendingType.OBRIEN_FLEMING)
    monitor_horizon_incidence = models.BooleanField(default=True)
    monitor_horizon_mild_moderate_share = models.BooleanField(default=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["product", "reference_profile"]
        constraints = [models.UniqueConstraint(fields=["product", "reference_profile"],
                                               name="one_monitoring_plan_per_product_and_profile")]

    def __str__(self):
        return f"Monitoring of {self.product_id and self.product.code} against {self.reference_profile_id and self.reference_profile.label}"

    @property
    def measures(self) -> list[str]:
        return [measure for measure, on in ((MonitoredMeasure.HORIZON_INCIDENCE, self.monitor_horizon_incidence),
                                            (MonitoredMeasure.HORIZON_MILD_MODERATE_SHARE,
                                             self.monitor_horizon_mild_moderate_share)) if on]

    def clean(self):
        errors = {}
        profile = self.reference_profile if self.reference_profile_id else None
        if profile is not None and self.product_id and profile.product_id != self.product_id:
            errors["reference_profile"] = "This reference profile belongs to another product."
        elif profile is not None:
            if profile.follow_up_horizon_days is None:
                errors["reference_profile"] = ("The profile has no follow-up horizon; monitoring compares horizon "
                                               "figures, so set the profile's horizon first.")
            if self.monitor_horizon_incidence and profile.isr_incidence is None:
                errors["monitor_horizon_incidence"] = "The profile gives no ISR incidence to monitor against."
            if self.monitor_horizon_mild_moderate_share and profile.mild_moderate_share is None:
                errors["monitor_horizon_mild_moderate_share"] = "The profile gives no mild/moderate share."
        if not (self.monitor_horizon_incidence or self.monitor_horizon_mild_moderate_share):
            errors["monitor_horizon_incidence"] = "Monitor at least one measure."
        if self.pk and self.looks.exists():
            errors["start_date"] = (f"The plan already has {self.looks.count()} look(s): their boundaries depend on "
                                    f"its design, which can no longer change.")
        if errors:
            raise ValidationError(errors)


class MonitoringLook(models.Model):
    """One tested look of a plan at one measure, recorded from a scheduled report; never changed."""

    plan = models.ForeignKey(MonitoringPlan, on_delete=models.PROTECT, related_name="looks")
    report = models.ForeignKey(AggregateReport, on_delete=models.PROTECT, related_name="monitoring_looks")
    measure = models.CharField(max_length=40, choices=MonitoredMeasure.choices)
    as_of = models.DateField()
    n = models.PositiveIntegerField()
    x = models.PositiveIntegerField()
    information_fraction = models.FloatField()
    z = models.FloatField()
    critical_value = models.FloatField(null=True, blank=True, help_text="Empty: the plan's α was already spent.")
    cumulative_alpha_spent = models.FloatField()
    signal = models.CharField(max_length=10, default="none")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["plan", "measure", "as_of"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "measure", "as_of"], name="one_look_per_plan_measure_and_date"),
            models.CheckConstraint(condition=models.Q(x__lte=models.F("n")), name="look_x_at_most_n"),
            models.CheckConstraint(condition=models.Q(information_fraction__gt=0, information_fraction__lte=1),
                                   name="look_information_fraction_in_0_1"),
        ]

    def as_json(self) -> dict:
        return {"as_of": self.as_of.isoformat(), "n": self.n, "x": self.x,
                "information_fraction": self.information_fraction, "z": self.z,
                "critical_value": self.critical_value, "cumulative_alpha_spent": self.cumulative_alpha_spent,
                "signal": self.signal, "report_id": self.report_id}
