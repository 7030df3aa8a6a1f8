"""Web imports: the uploaded files and the outcome of one run of the all-or-nothing importer."""
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ImportStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Imported")
    CHECKED = "checked", _("Dry run: all rows valid, nothing written")
    REFUSED = "refused", _("Refused: nothing written")
    FAILED = "failed", _("Failed: nothing written")


FINISHED = (ImportStatus.DONE, ImportStatus.CHECKED, ImportStatus.REFUSED, ImportStatus.FAILED)


class ImportJob(models.Model):
    """One upload of up to three CSV files, imported by a worker (apps.imports.tasks)."""

    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    dry_run = models.BooleanField(default=False)
    confirm_duplicates = models.BooleanField(default=False)
    status = models.CharField(max_length=10, choices=ImportStatus.choices, default=ImportStatus.QUEUED)
    rows_total = models.PositiveIntegerField(default=0, help_text=_("Data rows in the uploaded files."))
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    errors = models.JSONField(default=list, blank=True, help_text=_("FILE:LINE: field: reason, one per problem."))
    warnings = models.JSONField(default=list, blank=True)
    summary = models.JSONField(default=list, blank=True, help_text=_("The counts, one line per file."))

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"Import #{self.pk} ({self.get_status_display()})"

    @property
    def is_finished(self):
        return self.status in FINISHED


class ImportFile(models.Model):
    """One uploaded file, kept with its job so that a worker on another host can read it."""

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="files")
    kind = models.CharField(max_length=10, choices=[("patients", _("Patients")), ("exposures", _("Exposures")),
                                                    ("reactions", _("Reactions"))])
    name = models.CharField(max_length=255)
    content = models.BinaryField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["job", "kind"], name="one_import_file_per_kind")]
