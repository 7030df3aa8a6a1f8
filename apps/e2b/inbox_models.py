"""The E2B(R3) inbox: received batches (accepted or refused) and the ICSRs they carried."""
from django.conf import settings
from django.db import models


class IncomingBatch(models.Model):
    """One received file. A refused file keeps only the refusal: its errors and the negative acknowledgement."""

    class Status(models.TextChoices):
        ACCEPTED = "accepted", "Accepted"
        REFUSED = "refused", "Refused"

    filename = models.CharField(max_length=255, blank=True)
    sha256 = models.CharField(max_length=64, help_text="SHA-256 of the received file.")
    status = models.CharField(max_length=10, choices=Status.choices)
    errors = models.JSONField(default=list, blank=True, help_text="The first schema errors, with their lines.")
    batch_id = models.CharField(max_length=100, blank=True, help_text="N.1.2 of the received batch.")
    batch_sender = models.CharField(max_length=100, blank=True, help_text="N.1.3")
    acknowledgement_xml = models.TextField(help_text="The MCCI_IN200101UV01 acknowledgement returned.")
    received_at = models.DateTimeField(auto_now_add=True)
    received_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+", help_text="Empty for the command line.")

    class Meta:
        verbose_name = "incoming E2B batch"
        verbose_name_plural = "incoming E2B batches"
        ordering = ["-received_at", "-pk"]

    def __str__(self):
        return f"{self.filename or self.batch_id or self.sha256[:12]} ({self.get_status_display()})"


class IncomingCase(models.Model):
    """One received ICSR, raw and parsed, waiting in the triage queue until a reviewer decides."""

    class Triage(models.TextChoices):
        PENDING = "pending", "Pending"
        ACCEPTED = "accepted", "Turned into a tracked reaction"
        DISMISSED = "dismissed", "Dismissed"

    batch = models.ForeignKey(IncomingBatch, on_delete=models.PROTECT, related_name="cases")
    message_id = models.CharField(max_length=100, help_text="N.2.r.1")
    sender = models.CharField(max_length=100, blank=True, help_text="N.2.r.2 message sender identifier.")
    case_id = models.CharField(max_length=100, db_index=True, help_text="C.1.1")
    worldwide_id = models.CharField(max_length=100, db_index=True, help_text="C.1.8.1")
    report_type = models.CharField(max_length=1, blank=True, help_text="C.1.3")
    first_received = models.CharField(max_length=30, blank=True, help_text="C.1.4 as in the XML.")
    most_recent = models.CharField(max_length=30, blank=True, help_text="C.1.5 as in the XML.")
    patient_sex = models.CharField(max_length=10, blank=True, help_text="D.5 code (1 male, 2 female).")
    patient_age = models.CharField(max_length=20, blank=True, help_text="D.2.2a/b, e.g. '48 a'.")
    is_nullification = models.BooleanField(default=False, help_text="C.1.11.1 = nullification.")
    parsed = models.JSONField(help_text="Every field read from the message (reactions, drugs, sender, ...).")
    raw_xml = models.TextField(help_text="The PORR_IN049016UV message as received.")
    previous = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="later",
                                 help_text="The earlier version of the same worldwide case id.")
    nullified_by = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                     help_text="The nullification report that withdrew this case.")
    triage = models.CharField(max_length=10, choices=Triage.choices, default=Triage.PENDING)
    dismiss_reason = models.TextField(blank=True)
    reaction = models.ForeignKey("reactions.InjectionSiteReaction", null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="incoming_cases")
    triaged_at = models.DateTimeField(null=True, blank=True)
    triaged_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")

    class Meta:
        verbose_name = "incoming ICSR"
        ordering = ["-batch__received_at", "-pk"]
        indexes = [models.Index(fields=["triage", "-id"], name="incoming_case_triage_idx")]

    def __str__(self):
        return f"{self.case_id} ({self.message_id})"

    @property
    def is_pending(self):
        return self.triage == self.Triage.PENDING
