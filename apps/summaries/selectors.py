"""The summary tables: presentation of the cohort's counts (apps.cohort.queries), one table per slug.

The counting rules live in apps.cohort.rules (the same as the aggregate reports, so both show the
same figures); every count is a grouped query there. This module only turns the handful of counts
into rows, proportions and confidence intervals. `CohortCounts` reads each count once per scope,
so the index page (every table) costs three aggregate statements.
"""
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property

from django.utils.functional import Promise

from apps.cohort import queries
from apps.cohort.rules import DAYS_PER_YEAR, SIX_MONTHS_DAYS, TWELVE_MONTHS_DAYS
from apps.cohort.scope import Scope
from apps.products.models import Product
from apps.reactions.choices import CtcaeGrade, Severity, Symptom

from .proportions import Proportion

DURATION_BANDS = (("under_14", "< 14 days"), ("from_14_to_28", "14–28 days"), ("over_28", "> 28 days"),
                  ("ongoing", "Ongoing at the as-of date"))


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

    def as_json(self) -> dict:
        """Columns, rows and notes as plain JSON (a proportion cell: count, denominator, share, ci95)."""
        return {"slug": self.slug, "title": _text(self.title), "description": _text(self.description),
                "columns": [{"key": c.key, "header": _text(c.header), "kind": c.kind} for c in self.columns],
                "rows": [{key: value.as_json() if isinstance(value, Proportion) else _text(value)
                          for key, value in row.items()} for row in self.rows],
                "notes": [_text(note) for note in self.notes]}

    @classmethod
    def from_json(cls, data: dict) -> "Summary":
        columns = [Column(**column) for column in data["columns"]]
        proportions = {column.key for column in columns if column.kind == "proportion"}
        rows = [{key: Proportion.from_json(value) if key in proportions and isinstance(value, dict) else value
                 for key, value in row.items()} for row in data["rows"]]
        return cls(data["slug"], data["title"], data["description"], columns, rows, list(data["notes"]))

    def csv_rows(self) -> list[list]:
        """The table in long form: one line per cell (proportions as count, denominator, %, 95% CI in %)."""
        lines = []
        for row in self.rows:
            for column in self.columns[1:]:
                value = row.get(column.key, "")
                if isinstance(value, Proportion):
                    low, high = (value.ci_low_percent, value.ci_high_percent) if value.ci else ("", "")
                    lines.append([self.slug, row["label"], column.header, value.k, value.n,
                                  "" if value.percent is None else round(value.percent, 3),
                                  "" if low == "" else round(low, 3), "" if high == "" else round(high, 3), ""])
                elif value not in ("", None):
                    kind = column.kind
                    lines.append([self.slug, row["label"], column.header, value if kind == "count" else "",
                                  "", "", "", "", "" if kind == "count" else value])
        return lines


CSV_HEADER = ["table", "row", "column", "count", "denominator", "percent", "ci95_low_percent", "ci95_high_percent",
              "text"]


def _text(value):
    """A lazily translated text as the string of the active language (JSON cannot hold a lazy string)."""
    return str(value) if isinstance(value, Promise) else value


class CohortCounts:
    """The cohort's counts behind the tables of one scope, each read (once) when first needed."""

    def __init__(self, scope: Scope):
        self.scope = scope

    @cached_property
    def _incidence(self):
        return queries.incidence_groups(self.scope)

    def incidence(self, by):
        return self._incidence[by]

    @cached_property
    def reactions(self) -> queries.ReactionCounts:
        return queries.reaction_counts(self.scope)

    @cached_property
    def exposure(self) -> queries.ExposureCounts:
        return queries.exposure_counts(self.scope)


def default_product():
    """The product with a current reference profile (anakinra), else the first one."""
    return (Product.objects.filter(reference_profiles__is_primary=True).order_by("code").first()
            or Product.objects.order_by("code").first())


def mild_moderate_share(counts: queries.ReactionCounts) -> Proportion:
    """Patients with ISR whose ISRs were all mild or moderate (the reference's definition)."""
    return Proportion(counts.patients_mild_moderate, counts.patients)


# --- The summary tables --------------------------------------------------------------------

def _incidence_rows(grouped, label=str):
    rows, n_total, k_total = [], 0, 0
    for group in grouped:
        rows.append({"label": label(group.key), "exposed": group.exposed, "with_isr": group.with_isr,
                     "incidence": Proportion(group.with_isr, group.exposed)})
        n_total += group.exposed
        k_total += group.with_isr
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


def _incidence_summary(slug, title, description, header, grouped, label, reference):
    rows, total = _incidence_rows(grouped, label)
    rows.append({"label": "All", "exposed": total.n, "with_isr": total.k, "incidence": total,
                 "reference": _reference_incidence(reference), "is_total": True})
    columns = [Column("label", header, "text")] + INCIDENCE_COLUMNS[1:]
    return Summary(slug, title, description, columns, rows)


def incidence_by_site(counts, reference=None):
    grouped = counts.incidence("site")
    return _incidence_summary(
        "incidence-by-site", "ISR incidence by site",
        "Exposed patients with at least one injection-site reaction, per site.",
        "Site", grouped, str, reference)


def incidence_by_month(counts, reference=None):
    grouped = counts.incidence("first_month")
    return _incidence_summary(
        "incidence-by-month", "ISR incidence by month of first exposure",
        "Patients grouped by the month their first exposure period to the product started.",
        "First exposure", grouped, lambda month: month.strftime("%Y-%m"), reference)


def incidence_by_dose(counts, reference=None):
    grouped = counts.incidence("first_dose")
    return _incidence_summary(
        "incidence-by-dose", "ISR incidence by starting dose",
        "Patients grouped by the dose of their first exposure period.",
        "Dose (mg/day)", grouped, lambda dose: f"{Decimal(dose).normalize():f}", reference)


def severity_summary(cohort, reference=None):
    counts = cohort.reactions
    total, patients, by_severity = counts.total, counts.patients, counts.by_severity
    worst = {
        Severity.MILD: patients - counts.patients_moderate_or_severe,
        Severity.MODERATE: counts.patients_moderate_or_severe - counts.patients_severe,
        Severity.SEVERE: counts.patients_severe,
    }
    rows = [{"label": level.label, "reactions": Proportion(by_severity[level.value], total),
             "patients": Proportion(worst[level], patients), "reference": ""} for level in Severity]
    reference_text = ""
    if reference is not None and reference.mild_moderate_share is not None:
        reference_text = f"{100 * reference.mild_moderate_share:.1f}%"
        if reference.mild_moderate_n:
            reference_text += f" (n = {reference.mild_moderate_n})"
    rows.append({"label": "Mild or moderate",
                 "reactions": Proportion(by_severity[Severity.MILD] + by_severity[Severity.MODERATE], total),
                 "patients": mild_moderate_share(counts), "reference": reference_text, "is_total": True})
    columns = [Column("label", "Severity", "text"), Column("reactions", "Reactions (95% CI)", "proportion"),
               Column("patients", "Patients with ISR, by worst severity (95% CI)", "proportion"),
               Column("reference", "Reference (patients)", "text")]
    return Summary("severity", "Severity", "Reactions by severity, and patients with ISR by their worst "
                   "reaction; 'Mild or moderate' is the share of patients whose reactions were all mild "
                   "or moderate.", columns, rows)


def ctcae_summary(cohort, reference=None):
    counts = cohort.reactions
    rows = [{"label": grade.label, "reactions": Proportion(counts.by_grade[grade.value], counts.total)}
            for grade in CtcaeGrade]
    rows.append({"label": "Not graded", "reactions": Proportion(counts.not_graded, counts.total)})
    columns = [Column("label", "CTCAE grade", "text"), Column("reactions", "Reactions (95% CI)", "proportion")]
    return Summary("ctcae-grade", "CTCAE grade", "Reactions by CTCAE grade.", columns, rows)


def symptoms_summary(cohort, reference=None):
    counts = cohort.reactions
    rows = [{"label": symptom.label, "reactions": Proportion(counts.by_symptom[symptom.value], counts.total)}
            for symptom in Symptom]
    columns = [Column("label", "Symptom", "text"),
               Column("reactions", "Reactions with the symptom (95% CI)", "proportion")]
    return Summary("symptoms", "Symptoms", "Share of reactions showing each symptom; a reaction can "
                   "show several, so the shares add up to more than 100%.", columns, rows)


def duration_summary(cohort, reference=None):
    counts = cohort.reactions
    reference_text = ""
    if reference is not None and reference.duration_min_days is not None:
        reference_text = f"{reference.duration_min_days}–{reference.duration_max_days} days (typical duration)"
    rows = [{"label": label, "reactions": Proportion(getattr(counts, key), counts.total),
             "reference": reference_text if key == "from_14_to_28" else ""} for key, label in DURATION_BANDS]
    columns = [Column("label", "Duration", "text"), Column("reactions", "Reactions (95% CI)", "proportion"),
               Column("reference", "Reference", "text")]
    return Summary("duration", "Duration", "Reactions by duration from onset to resolution (both days "
                   "counted), as of the as-of date.", columns, rows)


def exposure_summary(cohort, reference=None):
    counts = cohort.exposure
    n = counts.patients

    def reference_share(k):
        if reference is None or k is None:
            return ""
        total = reference.safety_database_patients
        return f"{k} ({100 * k / total:.1f}%)" if total else str(k)

    rows = [
        {"label": "Patients exposed", "patients": Proportion(n, n, by_construction=True),
         "reference": "" if reference is None or reference.safety_database_patients is None
         else str(reference.safety_database_patients)},
        {"label": "Exposed ≥ 6 months", "patients": Proportion(counts.exposed_6_months, n),
         "reference": reference_share(reference and reference.exposed_6_months)},
        {"label": "Exposed ≥ 12 months", "patients": Proportion(counts.exposed_12_months, n),
         "reference": reference_share(reference and reference.exposed_12_months)},
    ]
    columns = [Column("label", "Exposure", "text"), Column("patients", "Patients (95% CI)", "proportion"),
               Column("reference", "Reference safety database", "text")]
    years = counts.exposure_days / DAYS_PER_YEAR
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


def summary(slug: str, scope: Scope, reference=None, counts: CohortCounts | None = None) -> Summary:
    """One table of `scope`; pass `counts` to share the queries between tables."""
    return SUMMARIES[slug](counts or CohortCounts(scope), reference)


def all_summaries(scope: Scope, reference=None) -> list[Summary]:
    counts = CohortCounts(scope)
    return [build(counts, reference) for build in SUMMARIES.values()]
