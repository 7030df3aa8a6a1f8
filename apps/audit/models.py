"""The access log: who exported or downloaded what (with which filter, how many rows), and every login,
failed login and logout. Entries are only ever added; the application offers no way to change or delete one."""
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class AccessKind(models.TextChoices):
    EXPORT = "export", "Listing export"
    DOWNLOAD = "download", "Download"
    LOGIN = "login", "Login"
    LOGIN_FAILED = "login_failed", "Failed login"
    LOGOUT = "logout", "Logout"


class AccessEventQuerySet(models.QuerySet):
    def delete(self):
        raise ValidationError("The access log cannot be deleted.")

    def update(self, **kwargs):
        raise ValidationError("The access log cannot be changed.")


class AccessEvent(models.Model):
    at = models.DateTimeField(auto_now_add=True, db_index=True)
    kind = models.CharField(max_length=20, choices=AccessKind.choices, db_index=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                             related_name="+")
    username = models.CharField(max_length=150, blank=True, help_text="As typed, for failed logins.")
    what = models.CharField(max_length=300, blank=True, help_text="The page or file, e.g. reactions.csv.")
    filter = models.CharField(max_length=2000, blank=True, help_text="The query string of the export.")
    rows = models.PositiveIntegerField(null=True, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)

    objects = AccessEventQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.kind} {self.username} {self.what}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValidationError("Access log entries are never changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError("Access log entries are never deleted.")


class Meaning(models.TextChoices):
    """What a signature means (21 CFR 11.50(a)(3)); each signed act offers the meanings that fit it."""

    REVIEWED_APPROVED = "reviewed_approved", _("Reviewed and approved")
    CAUSALITY_ASSESSED = "causality_assessed", _("Reviewed; causality assessed")
    RETURNED = "returned", _("Returned for correction")
    FOLLOW_UP_APPROVED = "follow_up_approved", _("Follow-up reviewed and approved")
    VOIDED = "voided", _("Voided (nullified)")
    APPROVED_FOR_SUBMISSION = "approved_for_submission", _("Approved for submission to the authority")


class SignedAct(models.TextChoices):
    REVIEW = "review", _("Review and lock")
    RETURN = "return", _("Return")
    FOLLOW_UP_LOCK = "follow_up_lock", _("Follow-up lock")
    VOID = "void", _("Void")
    E2B_EXPORT = "e2b_export", _("E2B export")


MEANINGS_OF_ACT = {
    SignedAct.REVIEW: (Meaning.REVIEWED_APPROVED, Meaning.CAUSALITY_ASSESSED),
    SignedAct.RETURN: (Meaning.RETURNED,),
    SignedAct.FOLLOW_UP_LOCK: (Meaning.FOLLOW_UP_APPROVED,),
    SignedAct.VOID: (Meaning.VOIDED,),
    SignedAct.E2B_EXPORT: (Meaning.APPROVED_FOR_SUBMISSION,),
}


class SignatureQuerySet(AccessEventQuerySet):
    def of(self, record):
        return self.filter(record_type=record._meta.label_lower, record_id=record.pk)


class Signature(models.Model):
    """An electronic signature (21 CFR 11.50, 11.100, 11.200): the signer re-entered their password and chose
    the meaning; the printed name, the date-time with its zone and the meaning are kept, never removed."""

    signer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    printed_name = models.CharField(max_length=300)
    signed_at = models.DateTimeField()
    time_zone = models.CharField(max_length=64, help_text="The zone the date-time is shown in, e.g. Europe/Rome.")
    act = models.CharField(max_length=20, choices=SignedAct.choices)
    meaning = models.CharField(max_length=30, choices=Meaning.choices)
    record_type = models.CharField(max_length=100, help_text="app_label.model of the signed record.")
    record_id = models.PositiveBigIntegerField()
    record_version = models.PositiveIntegerField(null=True, blank=True)

    objects = SignatureQuerySet.as_manager()

    class Meta:
        ordering = ["signed_at", "id"]
        indexes = [models.Index(fields=["record_type", "record_id"], name="signature_record_idx")]

    def __str__(self):
        return f"{self.printed_name} · {self.local_time_text} · {self.get_meaning_display()}"

    @property
    def local_time_text(self):
        """The signing time as printed on the manifestation: date, time and zone (11.50(a)(2))."""
        from zoneinfo import ZoneInfo

        local = self.signed_at.astimezone(ZoneInfo(self.time_zone))
        return local.strftime("%Y-%m-%d %H:%M:%S %Z (UTC%z)")

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValidationError("Signatures are never changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError("Signatures are never removed.")


class ComplianceSettings(models.Model):
    """Organisation-wide settings of the signature rules, edited by administrators, under history."""

    allow_self_review = models.BooleanField(
        default=False, verbose_name="allow the person who entered or submitted a case to review it",
        help_text="Only for one-person sites: turns off the four-eyes rule for review and lock.")

    history = HistoricalRecords()

    class Meta:
        verbose_name_plural = "compliance settings"

    def __str__(self):
        return "Compliance settings"

    @classmethod
    def current(cls):
        return cls.objects.order_by("pk").first() or cls()
