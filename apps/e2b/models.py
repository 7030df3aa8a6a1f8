"""E2B(R3) sender settings, MedDRA coding support and the log of exports."""
import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from simple_history.models import HistoricalRecords

identifier_validator = RegexValidator(
    r"^[A-Za-z0-9][A-Za-z0-9._-]*$", "Use letters, digits, dots, dashes or underscores, without spaces.")
country_validator = RegexValidator(r"^[A-Z]{2}$", "Give the ISO 3166-1 alpha-2 country code in capitals, e.g. GB.")
meddra_version_validator = RegexValidator(r"^\d{1,2}\.\d$", "A MedDRA version looks like 27.1.")
llt_code_validator = RegexValidator(r"^\d{8}$", "A MedDRA code has 8 digits.")


class SenderType(models.TextChoices):
    """C.3.1 sender type."""

    PHARMACEUTICAL_COMPANY = "1", "Pharmaceutical company"
    REGULATORY_AUTHORITY = "2", "Regulatory authority"
    HEALTH_PROFESSIONAL = "3", "Health professional"
    REGIONAL_PV_CENTRE = "4", "Regional pharmacovigilance centre"
    WHO_CENTRE = "5", "WHO collaborating centre for international drug monitoring"
    OTHER = "6", "Other"
    PATIENT = "7", "Patient / consumer"


class ReportType(models.TextChoices):
    """C.1.3 type of report."""

    SPONTANEOUS = "1", "Spontaneous report"
    STUDY = "2", "Report from study"
    OTHER = "3", "Other"
    NOT_AVAILABLE = "4", "Not available to sender (unknown)"


class StudyType(models.TextChoices):
    """C.5.4 study type, when the report comes from a study."""

    CLINICAL_TRIAL = "1", "Clinical trials"
    INDIVIDUAL_PATIENT_USE = "2", "Individual patient use"
    OTHER_STUDIES = "3", "Other studies"


class SenderOrganisation(models.Model):
    """The organisation that sends the ICSRs: one row, edited in the admin.

    The tracker collects reactions systematically from clinical sites, so the default
    report type is 'report from study' of type 'other studies' (a non-interventional,
    post-authorisation collection); a sender that collects unsolicited reports sets
    'spontaneous' instead.
    """

    SINGLETON_PK = 1

    sender_identifier = models.CharField(
        max_length=60, validators=[identifier_validator],
        help_text="N.1.3/N.2.r.2 sender identifier agreed with the receiver; also the middle part of case ids.")
    receiver_identifier = models.CharField(
        max_length=60, validators=[identifier_validator],
        help_text="N.1.4/N.2.r.3 receiver identifier, e.g. EVHUMAN or CDER.")
    organisation_name = models.CharField(max_length=100, help_text="C.3.2 sender's organisation.")
    country = models.CharField(max_length=2, validators=[country_validator],
                               help_text="ISO 3166-1 alpha-2 code (C.3.4.5); first part of case ids.")
    meddra_version = models.CharField(max_length=5, validators=[meddra_version_validator],
                                      verbose_name="MedDRA version in use", help_text="e.g. 27.1")
    sender_type = models.CharField(max_length=1, choices=SenderType.choices,
                                   default=SenderType.PHARMACEUTICAL_COMPANY, help_text="C.3.1")
    report_type = models.CharField(max_length=1, choices=ReportType.choices, default=ReportType.STUDY,
                                   help_text="C.1.3")
    study_type = models.CharField(max_length=1, choices=StudyType.choices, default=StudyType.OTHER_STUDIES,
                                  help_text="C.5.4, sent when the report type is 'report from study'.")
    study_name = models.CharField(max_length=2000, blank=True, help_text="C.5.2, optional.")
    sponsor_study_number = models.CharField(max_length=50, blank=True, help_text="C.5.3, optional.")
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()  # the E2B settings are under the audit trail too

    class Meta:
        verbose_name = "E2B sender organisation"
        verbose_name_plural = "E2B sender organisation"

    def __str__(self):
        return f"{self.organisation_name} ({self.sender_identifier} → {self.receiver_identifier})"

    def save(self, *args, **kwargs):
        self.pk = self.SINGLETON_PK
        super().save(*args, **kwargs)

    @classmethod
    def current(cls):
        return cls.objects.filter(pk=cls.SINGLETON_PK).first()

    def case_id_for(self, reaction_ref):
        """C.1.1/C.1.8.1: country-sender-reference, the ICH pattern for a worldwide unique case id."""
        return f"{self.country}-{self.sender_identifier}-{reaction_ref}"


LLT_CODE_RE = re.compile(r"^\d{8}$")
VERSION_RE = re.compile(r"^\d{1,2}\.\d$")


class MeddraTerm(models.Model):
    """One lowest level term of a MedDRA version, loaded from a licensed user's llt.asc."""

    version = models.CharField(max_length=5, validators=[meddra_version_validator])
    llt_code = models.CharField(max_length=8, validators=[llt_code_validator], verbose_name="LLT code")
    llt_name = models.CharField(max_length=100, verbose_name="LLT name")
    pt_code = models.CharField(max_length=8, validators=[llt_code_validator], verbose_name="PT code")
    pt_name = models.CharField(max_length=100, blank=True, verbose_name="PT name")
    current = models.BooleanField(default=True, help_text="MedDRA currency flag: non-current LLTs should not be used.")

    class Meta:
        verbose_name = "MedDRA term"
        ordering = ["version", "llt_code"]
        constraints = [models.UniqueConstraint(fields=["version", "llt_code"], name="unique_llt_per_meddra_version")]

    def __str__(self):
        return f"{self.llt_code} {self.llt_name} (MedDRA {self.version})"


class IsrTerm(models.Model):
    """A MedDRA LLT that the product's ISRs are coded with, entered by a licensed user.

    The tracker ships no dictionary: this short list is what coders pick from when no
    full dictionary is loaded; when one is, each entry is checked against it.
    """

    llt_code = models.CharField(max_length=8, validators=[llt_code_validator], verbose_name="LLT code")
    llt_name = models.CharField(max_length=100, verbose_name="LLT name")
    meddra_version = models.CharField(max_length=5, validators=[meddra_version_validator],
                                      verbose_name="MedDRA version")
    active = models.BooleanField(default=True)

    class Meta:
        verbose_name = "ISR MedDRA term"
        ordering = ["llt_name"]
        constraints = [models.UniqueConstraint(fields=["meddra_version", "llt_code"],
                                               name="unique_isr_term_per_meddra_version")]

    def __str__(self):
        return f"{self.llt_code} {self.llt_name} (MedDRA {self.meddra_version})"

    def clean(self):
        if self.llt_code and self.meddra_version:
            problem = meddra_code_problem(self.llt_code, self.meddra_version)
            if problem:
                raise ValidationError({"llt_code": problem})


class E2bExport(models.Model):
    """One transmission of one case: the audit trail of what was sent, when and by whom.

    The case id never changes once a case is exported; the version number goes up when the
    reaction has changed since the previous export (a follow-up), and stays the same for a
    re-sent, unchanged case.
    """

    class Kind(models.TextChoices):
        REPORT = "report", "Initial or follow-up report"
        NULLIFICATION = "nullification", "Nullification (C.1.11.1 = 1)"
        AMENDMENT = "amendment", "Amendment (C.1.11.1 = 2)"

    reaction = models.ForeignKey("reactions.InjectionSiteReaction", on_delete=models.PROTECT,
                                 related_name="e2b_exports")
    kind = models.CharField(max_length=15, choices=Kind.choices, default=Kind.REPORT)
    reason = models.TextField(blank=True, help_text="C.1.11.2 reason of a nullification or amendment.")
    case_id = models.CharField(max_length=100, db_index=True)
    version_number = models.PositiveIntegerField()
    reaction_version = models.PositiveIntegerField(help_text="The reaction's edit version that was exported.")
    message_id = models.CharField(max_length=100, unique=True)
    batch_id = models.CharField(max_length=100, db_index=True)
    batch_sha256 = models.CharField(max_length=64, help_text="SHA-256 of the delivered batch file.")
    message_xml = models.TextField(help_text="The PORR_IN049016UV message as sent.")
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+", help_text="Empty for exports from the command line.")

    class Meta:
        verbose_name = "E2B export"
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["reaction", "-created_at"])]

    def __str__(self):
        return f"{self.case_id} v{self.version_number} ({self.created_at:%Y-%m-%d %H:%M})"

    @property
    def is_follow_up(self):
        return self.version_number > 1


def meddra_code_problem(code, version) -> str | None:
    """Why `code` is not a usable MedDRA LLT code in `version`, or None when it is.

    Checks the form always, and the loaded dictionary of that version when one is loaded
    (two indexed queries at most, so the CSV importer can call it per row).
    """
    code = (code or "").strip()
    version = (version or "").strip()
    if not code:
        return "The MedDRA LLT code is missing."
    if not LLT_CODE_RE.match(code):
        return f"The MedDRA LLT code {code!r} is not 8 digits."
    if not version:
        return f"The MedDRA version of code {code} is missing."
    if not VERSION_RE.match(version):
        return f"The MedDRA version {version!r} is not of the form 27.1."
    current = MeddraTerm.objects.filter(version=version, llt_code=code).values_list("current", flat=True).first()
    if current is None:
        if not MeddraTerm.objects.filter(version=version).exists():
            return None  # no dictionary of that version loaded: the code cannot be checked further
        return f"The MedDRA LLT code {code} is not in MedDRA {version}."
    if not current:
        return f"The MedDRA LLT code {code} is non-current in MedDRA {version}; choose a current term."
    return None


from .inbox_models import IncomingBatch, IncomingCase  # noqa: E402,F401  (the inbox's models, kept apart)
