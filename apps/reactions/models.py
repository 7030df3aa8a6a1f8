from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, RegexValidator
from django.db import connection, models
from django.db.models import F, Func, IntegerField, Max
from django.db.models.lookups import Exact
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from apps.core.fields import MultiChoiceField
from apps.core.models import (NARRATIVE_MAX_LENGTH, VoidableModel, VoidableQuerySet, bounded_text, reference_validator,
                              reject_future, today)

from .choices import (GRADES_OF_SEVERITY, ONGOING_OUTCOMES, RESOLVED_OUTCOMES, ActionTaken, Causality, CommentKind,
                      CtcaeGrade, InjectionSite, Outcome, ReporterQualification, Seriousness, Severity, Status, Symptom)


# Share of all patients above which a site's listing walks the onset index on SQLite (see at_site).
SQLITE_INDEX_WALK_SHARE = 0.05


class ReactionQuerySet(VoidableQuerySet):
    site_lookup = "patient__site"
    parent_lookup = "patient"

    def locked(self):
        """Live cases that a reviewer has locked: what they report may no longer change silently."""
        return self.filter(status=Status.REVIEWED, voided_at__isnull=True)

    def reporting_exposure(self, *, patient_id, product_id, start_date):
        """Cases that report a period starting on `start_date` (an ICSR carries every period begun by the onset)."""
        return self.filter(patient_id=patient_id, product_id=product_id, onset_date__gte=start_date)

    def at_site(self, site_id):
        """The reactions at one site, in a form SQLite can page through by the onset index.

        SQLite's planner ignores LIMIT: for `patient__site=site` it reads every reaction of the site's
        patients and sorts them (0.1-0.3 s for a tenth of a million reactions) instead of walking the
        listing's index until a page is full. Its unary `+` keeps the site condition off the indexes, so it
        walks the index, which is quick when the site holds a fair share of the patients (a page needs about
        25 / share rows) and slow for a small one, which keeps the plain filter and sorts its few rows.
        PostgreSQL weighs LIMIT itself and always gets the plain filter.
        """
        if connection.vendor != "sqlite":
            return super().at_site(site_id)
        from apps.patients.models import Patient

        # Two index-only reads (the last id stands for the number of patients).
        site_patients = Patient.objects.filter(site_id=site_id).count()
        last_id = Patient.objects.aggregate(last_id=Max("pk"))["last_id"] or 0
        if site_patients < SQLITE_INDEX_WALK_SHARE * last_id:
            return super().at_site(site_id)
        unindexed_site = Func(F("patient__site_id"), template="+%(expressions)s", output_field=IntegerField())
        return self.filter(Exact(unindexed_site, site_id))


class InjectionSiteReaction(VoidableModel):
    """One injection-site reaction of one patient to one product."""

    # Indexes, each for the queries that read it (every one is written on every insert, by the importer
    # a million times): reaction_ref unique (lookups by reference, the importer's matching); patient and
    # product have no single-column index of their own: (patient, product, onset_date) and (product,
    # onset_date) below start with them.
    reaction_ref = models.CharField(max_length=50, unique=True, verbose_name="reaction reference",
                                    validators=[reference_validator])
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="reactions",
                                db_index=False)
    product = models.ForeignKey("products.Product", on_delete=models.PROTECT, related_name="reactions",
                                db_index=False)
    onset_date = models.DateField()
    resolution_date = models.DateField(null=True, blank=True, help_text="Leave empty while the reaction is ongoing.")
    severity = models.CharField(max_length=10, choices=Severity.choices)
    ctcae_grade = models.PositiveSmallIntegerField(choices=CtcaeGrade.choices, null=True, blank=True,
                                                   verbose_name="CTCAE grade")
    symptoms = MultiChoiceField(choices=Symptom.choices, blank=False)
    seriousness = MultiChoiceField(choices=Seriousness.choices,
                                   help_text="ICH E2A criteria met, if any; leave all unticked for a non-serious reaction.")
    outcome = models.CharField(max_length=30, choices=Outcome.choices)
    action_taken = models.CharField(max_length=20, choices=ActionTaken.choices, default=ActionTaken.UNKNOWN,
                                    verbose_name="action taken with the product")
    causality = models.CharField(max_length=20, choices=Causality.choices, blank=True,
                                 help_text="WHO-UMC category, assessed by the reviewer.")
    injection_site = models.CharField(max_length=20, choices=InjectionSite.choices, blank=True)
    diameter_mm = models.PositiveIntegerField(null=True, blank=True, validators=[MaxValueValidator(1000)],
                                              verbose_name="largest diameter (mm)")
    # Indexed: a reporter's own reactions.
    reporter = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="reported_reactions")
    reporter_qualification = models.CharField(max_length=30, choices=ReporterQualification.choices,
                                              default=ReporterQualification.OTHER_HEALTH_PROFESSIONAL)
    meddra_llt_code = models.CharField(max_length=8, blank=True, verbose_name="MedDRA LLT code",
                                       validators=[RegexValidator(r"^\d{8}$", "A MedDRA LLT code has 8 digits.")])
    meddra_version = models.CharField(max_length=10, blank=True, verbose_name="MedDRA version")
    narrative = models.TextField(blank=True, max_length=NARRATIVE_MAX_LENGTH, validators=bounded_text(NARRATIVE_MAX_LENGTH))
    # C.1.4 / C.1.5: the case's own receipt dates, never the row's timestamps. The first is day zero of
    # the regulatory clock (apps/clocks); a follow-up moves the second.
    received_date = models.DateField(default=today, verbose_name=_("date first received (C.1.4)"),
                                     help_text=_("When the organisation first learned of the case (day zero)."))
    latest_information_date = models.DateField(null=True, blank=True,
                                               verbose_name=_("date of most recent information (C.1.5)"),
                                               help_text=_("Leave empty until follow-up information arrives."))
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+", editable=False, db_index=False,  # read with the row only
                                     help_text="Who sent the case to review (four eyes: not its reviewer).")
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+", editable=False, db_index=False)  # read by no query
    reviewed_at = models.DateTimeField(null=True, blank=True, editable=False)
    late_onset_flag = models.BooleanField(default=False, editable=False,
                                          help_text="Onset more than the product's risk window (days) after the last exposure ended.")
    duplicate_confirmed = models.BooleanField(default=False, editable=False,
                                              help_text="The user confirmed this is not a duplicate of a same-day reaction.")
    version = models.PositiveIntegerField(default=1, editable=False,
                                          help_text="Incremented on every save; guards against lost updates.")
    case_version = models.PositiveIntegerField(default=1, editable=False,
                                               help_text="1 for the initial report, +1 for each locked follow-up.")
    # History rows are read by record (the indexed `id`: its history page), by date and by user; the
    # copies of the record's keys and reference are never searched, so they carry no index.
    history = HistoricalRecords(no_db_index=["patient", "product", "reporter", "voided_by", "reviewed_by",
                                             "submitted_by", "reaction_ref"])
    constraints_checked_by_clean = ("reaction_resolves_on_or_after_onset",)

    objects = ReactionQuerySet.as_manager()

    class Meta:
        ordering = ["-onset_date", "reaction_ref"]
        indexes = [
            # Dashboard and summaries: a product's reactions by onset (monthly onsets, as-of cut-offs).
            models.Index(fields=["product", "onset_date"]),
            # The duplicate check (patient, product, onset) and a patient's reactions on their page.
            models.Index(fields=["patient", "product", "onset_date"]),
            # The review queue (status = submitted) on the dashboard.
            models.Index(fields=["status"]),
            # The listing's default order (and its reverse), so a page reads 25 rows, not a million.
            models.Index(fields=["-onset_date", "reaction_ref"], name="isr_list_onset_ref_idx"),
            # Covers every column the aggregate report reads (apps/cohort/queries.py), per product and
            # patient in onset order: its per-patient and duration groupings read this index, not the wide rows.
            models.Index(fields=["product", "voided_at", "patient", "onset_date", "severity", "resolution_date"],
                         name="isr_report_cover_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(resolution_date__isnull=True) | models.Q(resolution_date__gte=models.F("onset_date")),
                name="reaction_resolves_on_or_after_onset"),
        ]

    def __str__(self):
        return self.reaction_ref

    def get_absolute_url(self):
        return reverse("reactions:detail", args=[self.pk])

    @property
    def is_ongoing(self):
        return self.resolution_date is None

    @property
    def duration_days(self):
        """Days from onset to resolution, both counted; None while ongoing."""
        if self.resolution_date is None or self.onset_date is None:
            return None
        return (self.resolution_date - self.onset_date).days + 1

    @property
    def most_recent_information_date(self):
        """C.1.5: the latest follow-up's date, else the first receipt."""
        return self.latest_information_date or self.received_date

    @property
    def is_serious(self):
        return bool(self.seriousness)

    @property
    def is_locked(self):
        return self.status == Status.REVIEWED

    def get_symptoms_display(self):
        return self._meta.get_field("symptoms").get_choices_display(self.symptoms)

    def get_seriousness_display(self):
        return self._meta.get_field("seriousness").get_choices_display(self.seriousness) or _("Not serious")

    def exposures_for_check(self):
        """The patient's live exposure periods to this product (the importer passes them in)."""
        known = getattr(self, "known_exposures", None)
        if known is not None:
            return known
        from apps.exposures.models import ExposurePeriod

        return list(ExposurePeriod.objects.filter(patient_id=self.patient_id, product_id=self.product_id,
                                                  voided_at__isnull=True))

    def clean(self):
        errors = {}

        def add(field, message, code, **params):
            errors.setdefault(field, []).append(ValidationError(message, code=code, params=params or None))

        reject_future(self.onset_date, "onset_date", errors)
        reject_future(self.resolution_date, "resolution_date", errors)
        reject_future(self.received_date, "received_date", errors)
        reject_future(self.latest_information_date, "latest_information_date", errors)
        if self.received_date and self.latest_information_date and self.latest_information_date < self.received_date:
            add("latest_information_date", "The most recent information cannot predate the first receipt.",
                "latest_before_received")
        if self.onset_date and self.resolution_date and self.resolution_date < self.onset_date:
            add("resolution_date", _("The resolution date is before the onset date."), "resolution_before_onset")

        seriousness = set(self.seriousness or [])
        if self.outcome == Outcome.FATAL and Seriousness.DEATH not in seriousness:
            add("seriousness", _("A fatal outcome requires the seriousness criterion 'Results in death'."),
                "fatal_without_death")
        if Seriousness.DEATH in seriousness and self.outcome != Outcome.FATAL:
            add("outcome", _("The seriousness criterion 'Results in death' requires the outcome 'Fatal'."),
                "death_without_fatal")
        if self.ctcae_grade == CtcaeGrade.GRADE_5 and self.outcome != Outcome.FATAL:
            add("ctcae_grade", _("CTCAE grade 5 means death; the outcome must be 'Fatal'."), "grade5_without_fatal")
        grades = GRADES_OF_SEVERITY.get(self.severity)
        if self.ctcae_grade is not None and grades and self.ctcae_grade not in grades:
            add("ctcae_grade", _("CTCAE grade %(grade)s does not match the severity '%(severity)s' (%(severity)s goes "
                "with grade %(grades)s): change the severity or the grade."), "severity_grade_mismatch",
                grade=self.ctcae_grade, severity=str(self.get_severity_display()).lower(),
                grades=f"{grades[0]}–{grades[-1]}" if len(grades) > 1 else str(grades[0]))
        if self.outcome in RESOLVED_OUTCOMES and self.resolution_date is None:
            add("resolution_date", _("A recovered reaction needs a resolution date."), "resolved_without_date")
        if self.outcome in ONGOING_OUTCOMES and self.resolution_date is not None:
            add("outcome", _("A reaction with a resolution date cannot be recovering or not recovered."),
                "ongoing_outcome_with_resolution")

        if self.onset_date and self.patient_id and self.product_id and "onset_date" not in errors:
            self._check_against_exposures(self.exposures_for_check(), add)
        if errors:
            raise ValidationError(errors)

    def _check_against_exposures(self, exposures, add):
        if not exposures:
            add("onset_date", _("The patient has no recorded exposure to this product; record the exposure first."),
                "no_exposure")
            return
        first_start = min(period.start_date for period in exposures)
        if self.onset_date < first_start:
            add("onset_date", _("The onset (%(onset)s) is before the patient's first exposure to this product (%(start)s)."),
                "onset_before_exposure", onset=self.onset_date.isoformat(), start=first_start.isoformat())
            return
        self.late_onset_flag = self.onset_is_late(exposures)

    def risk_window_days(self):
        """The product's risk window W (the importer passes it in to save a query per row)."""
        known = getattr(self, "known_risk_window_days", None)
        return known if known is not None else self.product.risk_window_days

    def onset_is_late(self, exposures):
        """True when no exposure covers the onset and the last one ended over the product's risk window
        (W days) before it: the reaction is not attributable (the report counts it as a late onset)."""
        if any(p.end_date is None or p.start_date <= self.onset_date <= p.end_date for p in exposures):
            return False
        ended = [p.end_date for p in exposures if p.end_date <= self.onset_date]
        return bool(ended) and self.onset_date - max(ended) > timedelta(days=self.risk_window_days())


class ReactionComment(models.Model):
    """One remark on a case (who, when, text), part of its audit trail; never edited or deleted."""

    reaction = models.ForeignKey(InjectionSiteReaction, on_delete=models.PROTECT, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    kind = models.CharField(max_length=10, choices=CommentKind.choices, default=CommentKind.COMMENT)
    text = models.TextField(max_length=4000)
    follow_up = models.ForeignKey("ReactionFollowUp", null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="comments", help_text="Set when the remark is about a follow-up.")

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self):
        return f"{self.get_kind_display()} by {self.author} on {self.reaction}"

    def clean(self):
        if not (self.text or "").strip():
            raise ValidationError({"text": "Write the comment first."})

    def delete(self, *args, **kwargs):
        raise ValidationError("Comments are part of the audit trail and cannot be deleted.")


class ReactionFollowUp(models.Model):
    """New information on a locked case: the next version of the case, reviewed before it applies.

    The locked case is never unlocked: the follow-up holds the changed fields until a reviewer
    locks it, then they are applied to the case in one step (its `case_version` goes up, so the
    E2B export sends the same case id with the next version number).
    """

    reaction = models.ForeignKey(InjectionSiteReaction, on_delete=models.PROTECT, related_name="follow_ups")
    case_version = models.PositiveIntegerField(help_text="The case version this follow-up makes (2 = first).")
    received_on = models.DateField(verbose_name="date the new information was received")
    summary = models.TextField(max_length=4000, verbose_name="what changed")
    changes = models.JSONField(default=dict, blank=True, editable=False,
                               help_text="The changed fields of the case, as form values.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+", editable=False)
    reviewed_at = models.DateTimeField(null=True, blank=True, editable=False)
    history = HistoricalRecords()

    class Meta:
        ordering = ["reaction", "case_version"]
        constraints = [models.UniqueConstraint(fields=["reaction", "case_version"],
                                               name="one_follow_up_per_case_version")]

    def __str__(self):
        return f"{self.reaction} follow-up (version {self.case_version})"

    def get_absolute_url(self):
        """A follow-up shows on its case's page."""
        return self.reaction.get_absolute_url()

    @property
    def is_locked(self):
        return self.status == Status.REVIEWED

    def clean(self):
        errors = {}
        reject_future(self.received_on, "received_on", errors)
        first_received = self.reaction.received_date if self.reaction_id else None
        if self.received_on and first_received and self.received_on < first_received:
            errors.setdefault("received_on", []).append(ValidationError(
                _("New information cannot be received before the case was first received (%(date)s).")
                % {"date": first_received.isoformat()}))
        if not (self.summary or "").strip():
            errors.setdefault("summary", []).append(ValidationError(_("Say what the new information is.")))
        if errors:
            raise ValidationError(errors)
