"""Aggregate ISR reports: a recorded request that becomes an immutable snapshot once done."""
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models


class ReportStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"
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
