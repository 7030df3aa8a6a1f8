"""Reads behind the summary tables and the dashboard.

Every figure is an aggregate computed in the database (COUNT ... FILTER, GROUP BY,
correlated sub-queries per patient), so that the number of queries of a page does not
depend on how many patients or reactions there are. Python only turns the handful of
counts into proportions and confidence intervals.

Counting rules, in one place:
- a patient is *exposed* when they have a live exposure period of the product starting
  on or before the as-of date; the cohort is scoped to one site when a site is given;
- a reaction *counts* when it is live (not voided), of the product, with onset on or before
  the as-of date, of a live patient, whatever its workflow status: the same rule as the
  aggregate reports (apps.reports.selectors.definitions()), so that both show the same figures;
- a reaction is *ongoing* at the as-of date when it has no resolution date or resolves
  later; its duration otherwise is resolution − onset + 1 days (both days counted);
- cumulative exposure sums the days of every period (gaps excluded), cut at the as-of date;
  6 months = 183 days, 12 months = 365 days.
"""
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import Case, Count, DateField, Exists, IntegerField, OuterRef, Q, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce, Least, TruncMonth

from apps.accounts.models import Site
from apps.core.fields import contains_code
from apps.exposures.models import ExposurePeriod
from apps.patients.models import Patient
from apps.products.models import Product
from apps.reactions.choices import CtcaeGrade, Severity, Symptom
from apps.reactions.models import InjectionSiteReaction

from .expressions import DaysBetween
from .proportions import Proportion

SIX_MONTHS_DAYS = 183
TWELVE_MONTHS_DAYS = 365
DURATION_BANDS = (("under_14", "< 14 days"), ("from_14_to_28", "14–28 days"), ("over_28", "> 28 days"),
                  ("ongoing", "Ongoing at the as-of date"))


@dataclass(frozen=True)
class Scope:
    """What a summary covers: one product, one site or all (None), up to a date."""

    product: Product
    site: Site | None
    as_of: date


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    kind: str = "count"  # "text", "count", "proportion", "number"


@dataclass
class Summary:
    """One table: its columns and rows (dicts keyed by column key); the last row may be a total."""

    slug: str
    title: str
    description: str
    columns: list
    rows: list
    notes: list = field(default_factory=list)


def default_product():
    """The product with a current reference profile (anakinra), else the first one."""
    return (Product.objects.filter(reference_profiles__is_primary=True).order_by("code").first()
            or Product.objects.order_by("code").first())


# --- Base querysets ------------------------------------------------------------------------

def exposure_periods(scope):
    return ExposurePeriod.objects.filter(product=scope.product, voided_at__isnull=True,
                                         start_date__lte=scope.as_of)


def _patient_reactions(scope):
    """Counted reactions without the patient join, for correlated sub-queries per patient."""
    return InjectionSiteReaction.objects.filter(product=scope.product, voided_at__isnull=True,
                                                onset_date__lte=scope.as_of)


def exposed_patients(scope):
    patients = Patient.objects.filter(voided_at__isnull=True).filter(
        Exists(exposure_periods(scope).filter(patient=OuterRef("pk"))))
    if scope.site is not None:
        patients = patients.filter(site=scope.site)
    return patients.annotate(has_isr=Exists(_patient_reactions(scope).filter(patient=OuterRef("pk"))))


def counted_reactions(scope):
    reactions = _patient_reactions(scope).filter(patient__voided_at__isnull=True)
    if scope.site is not None:
        reactions = reactions.filter(patient__site=scope.site)
    return reactions


def _first_period(scope):
    return exposure_periods(scope).filter(patient=OuterRef("pk")).order_by("start_date", "pk")


def _resolved(scope):
    return Q(resolution_date__isnull=False, resolution_date__lte=scope.as_of)


def _duration_days():
    return DaysBetween("resolution_date", "onset_date") + 1


# --- Figures shared with the dashboard -----------------------------------------------------

def isr_incidence(scope) -> Proportion:
    """Exposed patients with at least one counted ISR."""
    counts = exposed_patients(scope).aggregate(n=Count("pk"), k=Count("pk", filter=Q(has_isr=True)))
    return Proportion(counts["k"], counts["n"])


def severity_counts(scope):
    """Reactions by severity and patients by their worst severity, in one query."""
    moderate_or_severe = (Severity.MODERATE, Severity.SEVERE)
    return counted_reactions(scope).aggregate(
        total=Count("pk"),
        **{level.value: Count("pk", filter=Q(severity=level)) for level in Severity},
        patients=Count("patient", distinct=True),
        patients_moderate_or_severe=Count("patient", distinct=True, filter=Q(severity__in=moderate_or_severe)),
        patients_severe=Count("patient", distinct=True, filter=Q(severity=Severity.SEVERE)),
    )


def mild_moderate_share(counts) -> Proportion:
    """Patients with ISR whose ISRs were all mild or moderate (the reference's definition)."""
    return Proportion(counts["patients"] - counts["patients_severe"], counts["patients"])


def duration_histogram(scope):
    """[(days, resolved?, reactions)]: resolved durations, and ongoing ones censored at the as-of date."""
    rows = (counted_reactions(scope)
            .annotate(is_resolved=Case(When(_resolved(scope), then=Value(1)), default=Value(0)),
                      observed_days=_observed_days(scope))
            .values("observed_days", "is_resolved")
            .annotate(reactions=Count("pk"))
            .order_by())
    return [(row["observed_days"], bool(row["is_resolved"]), row["reactions"]) for row in rows]


def _observed_days(scope):
    return Case(When(_resolved(scope), then=_duration_days()),
                default=DaysBetween(Value(scope.as_of, output_field=DateField()), "onset_date") + 1,
                output_field=IntegerField())


def monthly_onsets(scope, since):
    """Counted reactions per calendar month of onset, from `since` to the as-of date."""
    rows = (counted_reactions(scope).filter(onset_date__gte=since)
            .annotate(month=TruncMonth("onset_date", output_field=DateField()))
            .values("month").annotate(reactions=Count("pk"), patients=Count("patient", distinct=True))
            .order_by("month"))
    return list(rows)


# --- The summary tables --------------------------------------------------------------------

def _incidence_rows(grouped, label_key, label=str):
    rows, n_total, k_total = [], 0, 0
    for group in grouped:
        rows.append({"label": label(group[label_key]), "exposed": group["n"], "with_isr": group["k"],
                     "incidence": Proportion(group["k"], group["n"])})
        n_total += group["n"]
        k_total += group["k"]
    return rows, Proportion(k_total, n_total)


def _reference_incidence(reference):
    if reference is None:
        return ""
    text = f"{100 * reference.isr_incidence:.1f}%"
    return f"{text} (n = {reference.isr_incidence_n})" if reference.isr_incidence_n else text


INCIDENCE_COLUMNS = [Column("label", "", "text"), Column("exposed", "Exposed patients"),
                     Column("with_isr", "Patients with ISR"),
                     Column("incidence", "ISR incidence (95% CI)", "proportion"),
                     Column("reference", "Reference", "text")]


def _incidence_summary(slug, title, description, header, grouped, label_key, label, reference):
    rows, total = _incidence_rows(grouped, label_key, label)
    rows.append({"label": "All", "exposed": total.n, "with_isr": total.k, "incidence": total,
                 "reference": _reference_incidence(reference), "is_total": True})
    columns = [Column("label", header, "text")] + INCIDENCE_COLUMNS[1:]
    return Summary(slug, title, description, columns, rows)


def incidence_by_site(scope, reference=None):
    grouped = (exposed_patients(scope).values("site__code")
               .annotate(n=Count("pk"), k=Count("pk", filter=Q(has_isr=True))).order_by("site__code"))
    return _incidence_summary(
        "incidence-by-site", "ISR incidence by site",
        "Exposed patients with at least one injection-site reaction, per site.",
        "Site", grouped, "site__code", str, reference)


def incidence_by_month(scope, reference=None):
    first_start = Subquery(_first_period(scope).values("start_date")[:1], output_field=DateField())
    grouped = (exposed_patients(scope)
               .annotate(month=TruncMonth(first_start, output_field=DateField()))
               .values("month").annotate(n=Count("pk"), k=Count("pk", filter=Q(has_isr=True))).order_by("month"))
    return _incidence_summary(
        "incidence-by-month", "ISR incidence by month of first exposure",
        "Patients grouped by the month their first exposure period to the product started.",
        "First exposure", grouped, "month", lambda month: month.strftime("%Y-%m"), reference)


def incidence_by_dose(scope, reference=None):
    first_dose = Subquery(_first_period(scope).values("dose_mg_per_day")[:1])
    grouped = (exposed_patients(scope).annotate(dose=first_dose)
               .values("dose").annotate(n=Count("pk"), k=Count("pk", filter=Q(has_isr=True))).order_by("dose"))
    return _incidence_summary(
        "incidence-by-dose", "ISR incidence by starting dose",
        "Patients grouped by the dose of their first exposure period.",
        "Dose (mg/day)", grouped, "dose", lambda dose: f"{Decimal(dose).normalize():f}", reference)


def severity_summary(scope, reference=None):
    counts = severity_counts(scope)
    total, patients = counts["total"], counts["patients"]
    worst = {
        Severity.MILD: patients - counts["patients_moderate_or_severe"],
        Severity.MODERATE: counts["patients_moderate_or_severe"] - counts["patients_severe"],
        Severity.SEVERE: counts["patients_severe"],
    }
    rows = [{"label": level.label, "reactions": Proportion(counts[level.value], total),
             "patients": Proportion(worst[level], patients), "reference": ""} for level in Severity]
    reference_text = ""
    if reference is not None and reference.mild_moderate_share is not None:
        reference_text = f"{100 * reference.mild_moderate_share:.1f}%"
        if reference.mild_moderate_n:
            reference_text += f" (n = {reference.mild_moderate_n})"
    rows.append({"label": "Mild or moderate",
                 "reactions": Proportion(counts[Severity.MILD] + counts[Severity.MODERATE], total),
                 "patients": mild_moderate_share(counts), "reference": reference_text, "is_total": True})
    columns = [Column("label", "Severity", "text"), Column("reactions", "Reactions (95% CI)", "proportion"),
               Column("patients", "Patients with ISR, by worst severity (95% CI)", "proportion"),
               Column("reference", "Reference (patients)", "text")]
    return Summary("severity", "Severity", "Reactions by severity, and patients with ISR by their worst "
                   "reaction; 'Mild or moderate' is the share of patients whose reactions were all mild "
                   "or moderate.", columns, rows)


def ctcae_summary(scope, reference=None):
    counts = counted_reactions(scope).aggregate(
        total=Count("pk"), not_graded=Count("pk", filter=Q(ctcae_grade__isnull=True)),
        **{f"grade_{grade.value}": Count("pk", filter=Q(ctcae_grade=grade)) for grade in CtcaeGrade})
    rows = [{"label": grade.label, "reactions": Proportion(counts[f"grade_{grade.value}"], counts["total"])}
            for grade in CtcaeGrade]
    rows.append({"label": "Not graded", "reactions": Proportion(counts["not_graded"], counts["total"])})
    columns = [Column("label", "CTCAE grade", "text"), Column("reactions", "Reactions (95% CI)", "proportion")]
    return Summary("ctcae-grade", "CTCAE grade", "Reactions by CTCAE grade.", columns, rows)


def symptoms_summary(scope, reference=None):
    counts = counted_reactions(scope).aggregate(
        total=Count("pk"),
        **{symptom.value: Count("pk", filter=Q(**contains_code("symptoms", symptom.value))) for symptom in Symptom})
    rows = [{"label": symptom.label, "reactions": Proportion(counts[symptom.value], counts["total"])}
            for symptom in Symptom]
    columns = [Column("label", "Symptom", "text"),
               Column("reactions", "Reactions with the symptom (95% CI)", "proportion")]
    return Summary("symptoms", "Symptoms", "Share of reactions showing each symptom; a reaction can "
                   "show several, so the shares add up to more than 100%.", columns, rows)


def duration_summary(scope, reference=None):
    resolved, days = _resolved(scope), _duration_days()
    counts = counted_reactions(scope).annotate(days=days).aggregate(
        total=Count("pk"),
        under_14=Count("pk", filter=resolved & Q(days__lt=14)),
        from_14_to_28=Count("pk", filter=resolved & Q(days__gte=14, days__lte=28)),
        over_28=Count("pk", filter=resolved & Q(days__gt=28)),
        ongoing=Count("pk", filter=~resolved))
    reference_text = ""
    if reference is not None and reference.duration_min_days is not None:
        reference_text = f"{reference.duration_min_days}–{reference.duration_max_days} days (typical duration)"
    rows = [{"label": label, "reactions": Proportion(counts[key], counts["total"]),
             "reference": reference_text if key == "from_14_to_28" else ""} for key, label in DURATION_BANDS]
    columns = [Column("label", "Duration", "text"), Column("reactions", "Reactions (95% CI)", "proportion"),
               Column("reference", "Reference", "text")]
    return Summary("duration", "Duration", "Reactions by duration from onset to resolution (both days "
                   "counted), as of the as-of date.", columns, rows)


def exposure_summary(scope, reference=None):
    as_of = Value(scope.as_of, output_field=DateField())
    period_days = DaysBetween(Least(Coalesce("end_date", as_of), as_of), "start_date") + 1
    periods = exposure_periods(scope).filter(patient__voided_at__isnull=True)
    if scope.site is not None:
        periods = periods.filter(patient__site=scope.site)
    # GROUP BY patient inside, COUNT ... FILTER outside: Django wraps the grouped query in a subquery.
    counts = (periods.values("patient").annotate(exposure_days=Sum(period_days)).order_by()
              .aggregate(n=Count("patient"),
                         six=Count("patient", filter=Q(exposure_days__gte=SIX_MONTHS_DAYS)),
                         twelve=Count("patient", filter=Q(exposure_days__gte=TWELVE_MONTHS_DAYS)),
                         days=Sum("exposure_days")))
    n = counts["n"]

    def reference_share(k):
        if reference is None or k is None:
            return ""
        total = reference.safety_database_patients
        return f"{k} ({100 * k / total:.1f}%)" if total else str(k)

    rows = [
        {"label": "Patients exposed", "patients": Proportion(n, n),
         "reference": "" if reference is None or reference.safety_database_patients is None
         else str(reference.safety_database_patients)},
        {"label": "Exposed ≥ 6 months", "patients": Proportion(counts["six"], n),
         "reference": reference_share(reference and reference.exposed_6_months)},
        {"label": "Exposed ≥ 12 months", "patients": Proportion(counts["twelve"], n),
         "reference": reference_share(reference and reference.exposed_12_months)},
    ]
    columns = [Column("label", "Exposure", "text"), Column("patients", "Patients (95% CI)", "proportion"),
               Column("reference", "Reference safety database", "text")]
    years = (counts["days"] or 0) / 365.25
    return Summary("exposure", "Exposure by duration", "Patients by cumulative time on the product (the sum "
                   "of their exposure periods, gaps excluded), beside the reference's safety database.",
                   columns, rows, notes=[f"Total exposure: {years:,.1f} patient-years.",
                                         f"6 months = {SIX_MONTHS_DAYS} days, 12 months = {TWELVE_MONTHS_DAYS} days."])


SUMMARIES = {
    "incidence-by-site": incidence_by_site,
    "incidence-by-month": incidence_by_month,
    "incidence-by-dose": incidence_by_dose,
    "severity": severity_summary,
    "ctcae-grade": ctcae_summary,
    "symptoms": symptoms_summary,
    "duration": duration_summary,
    "exposure": exposure_summary,
}
