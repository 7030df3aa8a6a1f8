"""The summary tables: presentation of the cohort's counts (apps.cohort.queries), one table per slug.

The counting rules live in apps.cohort.rules (the same as the aggregate reports, so both show the
same figures); every count is a grouped query there. This module only turns the handful of counts
into rows, proportions and confidence intervals. `CohortCounts` reads each count once per scope,
so the index page (every table) costs three aggregate statements.

Languages: a table's texts are lazy translations (static ones) or `Text` (a msgid and its parameters,
for texts with numbers in them), so a page shows them in the reader's language. `as_json()` always
writes them in English (the msgids): the JSON and CSV downloads and the stored snapshots are in one
language, like the audit trail. A stored snapshot also keeps each formatted text's msgid and
parameters (`sources`), so `from_json()` turns the English texts back into translatable ones: a text
that is in the catalogue is shown translated, anything else (a site code, a month) as it is.
"""
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property

from django.utils.functional import Promise
from django.utils.translation import gettext, gettext_lazy as _, gettext_noop, override

from apps.cohort import queries
from apps.cohort.rules import DAYS_PER_YEAR, SIX_MONTHS_DAYS, TWELVE_MONTHS_DAYS
from apps.cohort.scope import Scope
from apps.products.models import Product
from apps.reactions.choices import CtcaeGrade, Severity, Symptom

from .proportions import Proportion

DURATION_BANDS = (("under_14", _("< 14 days")), ("from_14_to_28", _("14–28 days")), ("over_28", _("> 28 days")),
                  ("ongoing", _("Ongoing at the as-of date")))


class Text:
    """A text with numbers in it: an English msgid and its parameters, formatted in the active language
    whenever it is shown (str()). Equal to the string it shows, like a lazy translation."""

    def __init__(self, msgid, params=None, **kwargs):
        self.msgid, self.params = msgid, {**(params or {}), **kwargs}

    def __str__(self):
        return gettext(self.msgid) % self.params

    def __eq__(self, other):
        return str(self) == str(other) if isinstance(other, (str, Promise, Text)) else NotImplemented

    def __hash__(self):
        return hash(str(self))

    def __repr__(self):
        return f"Text({self.msgid!r}, {self.params!r})"

    def source(self) -> dict:
        return {"msgid": self.msgid, "params": self.params}


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

    def as_json(self, sources=False) -> dict:
        """Columns, rows and notes as plain JSON (a proportion cell: count, denominator, share, ci95), the texts
        in English whatever the active language. `sources`: also the msgid and parameters of each formatted
        text (what a stored snapshot needs to show them in another language; the downloads leave them out)."""
        with override("en"):
            data = {"slug": self.slug, "title": _text(self.title), "description": _text(self.description),
                    "columns": [{"key": c.key, "header": _text(c.header), "kind": c.kind} for c in self.columns],
                    "rows": [{key: value.as_json() if isinstance(value, Proportion) else _text(value)
                              for key, value in row.items()} for row in self.rows],
                    "notes": [_text(note) for note in self.notes]}
            if sources:
                texts = [self.title, self.description, *(c.header for c in self.columns),
                         *(value for row in self.rows for value in row.values()), *self.notes]
                data["sources"] = {str(text): text.source() for text in texts if isinstance(text, Text)}
        return data

    @classmethod
    def from_json(cls, data: dict) -> "Summary":
        """A table from its JSON, its English texts translatable again (shown in the reader's language)."""
        sources = data.get("sources", {})

        def text(value):
            if not isinstance(value, str) or not value:  # gettext("") is the catalogue's header
                return value
            return Text(**sources[value]) if value in sources else _(value)

        columns = [Column(column["key"], text(column["header"]), column["kind"]) for column in data["columns"]]
        proportions = {column.key for column in columns if column.kind == "proportion"}
        rows = [{key: Proportion.from_json(value) if key in proportions and isinstance(value, dict) else text(value)
                 for key, value in row.items()} for row in data["rows"]]
        return cls(data["slug"], text(data["title"]), text(data["description"]), columns, rows,
                   [text(note) for note in data["notes"]])

    def csv_rows(self) -> list[list]:
        """The table in long form: one line per cell (proportions as count, denominator, %, 95% CI in %), in
        English."""
        with override("en"):
            return self._csv_rows()

    def _csv_rows(self) -> list[list]:
        lines = []
        for row in self.rows:
            for column in self.columns[1:]:
                value = row.get(column.key, "")
                if isinstance(value, Proportion):
                    low, high = (value.ci_low_percent, value.ci_high_percent) if value.ci else ("", "")
                    lines.append([self.slug, _text(row["label"]), _text(column.header), value.k, value.n,
                                  "" if value.percent is None else round(value.percent, 3),
                                  "" if low == "" else round(low, 3), "" if high == "" else round(high, 3), ""])
                elif value not in ("", None):
                    kind = column.kind
                    lines.append([self.slug, _text(row["label"]), _text(column.header),
                                  value if kind == "count" else "", "", "", "", "",
                                  "" if kind == "count" else _text(value)])
        return lines


CSV_HEADER = ["table", "row", "column", "count", "denominator", "percent", "ci95_low_percent", "ci95_high_percent",
              "text"]


def _text(value):
    """A lazily translated or formatted text as the string of the active language (JSON cannot hold one)."""
    return str(value) if isinstance(value, (Promise, Text)) else value


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


INCIDENCE_COLUMNS = [Column("label", "", "text"), Column("exposed", _("Exposed patients")),
                     Column("with_isr", _("Patients with ISR")),
                     Column("incidence", _("ISR incidence (95% CI)"), "proportion"),
                     Column("reference", _("Reference"), "text")]


def _incidence_summary(slug, title, description, header, grouped, label, reference):
    rows, total = _incidence_rows(grouped, label)
    rows.append({"label": _("All"), "exposed": total.n, "with_isr": total.k, "incidence": total,
                 "reference": _reference_incidence(reference), "is_total": True})
    columns = [Column("label", header, "text")] + INCIDENCE_COLUMNS[1:]
    return Summary(slug, title, description, columns, rows)


def incidence_by_site(counts, reference=None):
    grouped = counts.incidence("site")
    return _incidence_summary(
        "incidence-by-site", _("ISR incidence by site"),
        _("Exposed patients with at least one injection-site reaction, per site."),
        _("Site"), grouped, str, reference)


def incidence_by_month(counts, reference=None):
    grouped = counts.incidence("first_month")
    return _incidence_summary(
        "incidence-by-month", _("ISR incidence by month of first exposure"),
        _("Patients grouped by the month their first exposure period to the product started."),
        _("First exposure"), grouped, lambda month: month.strftime("%Y-%m"), reference)


def incidence_by_dose(counts, reference=None):
    grouped = counts.incidence("first_dose")
    return _incidence_summary(
        "incidence-by-dose", _("ISR incidence by starting dose"),
        _("Patients grouped by the dose of their first exposure period."),
        _("Dose (mg/day)"), grouped, lambda dose: f"{Decimal(dose).normalize():f}", reference)


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
    rows.append({"label": _("Mild or moderate"),
                 "reactions": Proportion(by_severity[Severity.MILD] + by_severity[Severity.MODERATE], total),
                 "patients": mild_moderate_share(counts), "reference": reference_text, "is_total": True})
    columns = [Column("label", _("Severity"), "text"), Column("reactions", _("Reactions (95% CI)"), "proportion"),
               Column("patients", _("Patients with ISR, by worst severity (95% CI)"), "proportion"),
               Column("reference", _("Reference (patients)"), "text")]
    return Summary("severity", _("Severity"), _("Reactions by severity, and patients with ISR by their worst "
                   "reaction; 'Mild or moderate' is the share of patients whose reactions were all mild "
                   "or moderate."), columns, rows)


def ctcae_summary(cohort, reference=None):
    counts = cohort.reactions
    rows = [{"label": grade.label, "reactions": Proportion(counts.by_grade[grade.value], counts.total)}
            for grade in CtcaeGrade]
    rows.append({"label": _("Not graded"), "reactions": Proportion(counts.not_graded, counts.total)})
    columns = [Column("label", _("CTCAE grade"), "text"), Column("reactions", _("Reactions (95% CI)"), "proportion")]
    return Summary("ctcae-grade", _("CTCAE grade"), _("Reactions by CTCAE grade."), columns, rows)


def symptoms_summary(cohort, reference=None):
    counts = cohort.reactions
    rows = [{"label": symptom.label, "reactions": Proportion(counts.by_symptom[symptom.value], counts.total)}
            for symptom in Symptom]
    columns = [Column("label", _("Symptom"), "text"),
               Column("reactions", _("Reactions with the symptom (95% CI)"), "proportion")]
    return Summary("symptoms", _("Symptoms"), _("Share of reactions showing each symptom; a reaction can "
                   "show several, so the shares add up to more than 100%."), columns, rows)


def duration_summary(cohort, reference=None):
    counts = cohort.reactions
    reference_text = ""
    if reference is not None and reference.duration_min_days is not None:
        reference_text = Text(gettext_noop("%(low)s–%(high)s days (typical duration)"), low=reference.duration_min_days,
                              high=reference.duration_max_days)
    rows = [{"label": label, "reactions": Proportion(getattr(counts, key), counts.total),
             "reference": reference_text if key == "from_14_to_28" else ""} for key, label in DURATION_BANDS]
    columns = [Column("label", _("Duration"), "text"), Column("reactions", _("Reactions (95% CI)"), "proportion"),
               Column("reference", _("Reference"), "text")]
    return Summary("duration", _("Duration"), _("Reactions by duration from onset to resolution (both days "
                   "counted), as of the as-of date."), columns, rows)


def exposure_summary(cohort, reference=None):
    counts = cohort.exposure
    n = counts.patients

    def reference_share(k):
        if reference is None or k is None:
            return ""
        total = reference.safety_database_patients
        return f"{k} ({100 * k / total:.1f}%)" if total else str(k)

    rows = [
        {"label": _("Patients exposed"), "patients": Proportion(n, n, by_construction=True),
         "reference": "" if reference is None or reference.safety_database_patients is None
         else str(reference.safety_database_patients)},
        {"label": _("Exposed ≥ 6 months"), "patients": Proportion(counts.exposed_6_months, n),
         "reference": reference_share(reference and reference.exposed_6_months)},
        {"label": _("Exposed ≥ 12 months"), "patients": Proportion(counts.exposed_12_months, n),
         "reference": reference_share(reference and reference.exposed_12_months)},
    ]
    columns = [Column("label", _("Exposure"), "text"), Column("patients", _("Patients (95% CI)"), "proportion"),
               Column("reference", _("Reference safety database"), "text")]
    years = counts.exposure_days / DAYS_PER_YEAR
    return Summary("exposure", _("Exposure by duration"), _("Patients by cumulative time on the product (the sum "
                   "of their exposure periods, gaps excluded), beside the reference's safety database."),
                   columns, rows, notes=[Text(gettext_noop("Total exposure: %(years)s patient-years."),
                                              years=f"{years:,.1f}"),
                                         Text(gettext_noop("6 months = %(six)s days, 12 months = %(twelve)s days."),
                                              six=SIX_MONTHS_DAYS, twelve=TWELVE_MONTHS_DAYS)])


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
