"""The report page's measure table and the JSON and CSV downloads of a done snapshot.

Languages: a report stores its texts (definitions, profile comparisons' measures) in English, the msgids,
and the downloads are English (the views run them under translation.override("en")); the page translates
them when it shows them (definitions(), comparisons(); a text not in the catalogue, such as the copy an
older report stored of a since reworded definition, is shown as stored).
"""
from django.utils.translation import gettext, gettext_lazy as _

from apps.cohort.profile import RESULT_KEYS, THIS_REPORT, report_definition

from .models import AggregateReport
from .selectors import monitoring_of

MEASURES = (
    # label, observed key, ci key, reference key, nominal p key
    (_("ISR incidence, horizon cohort"), "horizon_incidence", "horizon_incidence_ci95", "reference_incidence",
     "horizon_incidence_p_value"),
    (_("ISR incidence at the horizon (Kaplan–Meier)"), "incidence_at_horizon_km", "incidence_at_horizon_km_ci95",
     "reference_incidence", None),
    (_("ISR incidence, crude (patients with ≥ 1 attributable ISR)"), "isr_incidence", "isr_incidence_ci95",
     "reference_incidence", "incidence_p_value"),
    (_("Mild/moderate share, horizon cohort (worst ISR within h)"), "horizon_mild_moderate_share",
     "horizon_mild_moderate_ci95", "reference_mild_moderate_share", "horizon_mild_moderate_p_value"),
    (_("Mild/moderate share, crude (worst ISR per patient)"), "mild_moderate_share", "mild_moderate_ci95",
     "reference_mild_moderate_share", "mild_moderate_p_value"),
    (_("EAIR per 100 patient-years at risk (first ISRs)"), "eair_per_100py", "eair_ci95", None, None),
    (_("EAER per 100 patient-years (all ISR events)"), "eaer_per_100py", "eaer_ci95", None, None),
    (_("ISR duration, days: restricted mean to 365 d (Kaplan–Meier)"), "duration_days_rmean_km", None,
     "reference_duration_days", None),
    (_("Median ISR duration, days (Kaplan–Meier)"), "duration_days_median_km", None, None, None),
    (_("Mean duration of resolved ISRs, days (resolved only)"), "duration_days_mean", None, None, None),
    (_("Resolved ISRs lasting within the reference range"), "duration_within_reference_share", None, None, None),
    (_("Median time to first ISR, days (Kaplan–Meier)"), "time_to_first_isr_median_km", None, None, None),
    (_("Late onsets (not attributable, excluded above)"), "late_onset_reactions", None, None, None),
)
SHARE_KEYS = ("isr_incidence", "mild_moderate_share", "duration_within_reference_share", "horizon_incidence",
              "horizon_mild_moderate_share", "incidence_at_horizon_km")


# Which row carries each verdict, by the verdicts' basis.
VERDICT_ROWS = {
    "horizon": {"horizon_incidence": "isr_incidence", "horizon_mild_moderate_share": "mild_moderate_share"},
    "crude": {"isr_incidence": "isr_incidence", "mild_moderate_share": "mild_moderate_share"},
}


def measure_rows(report: AggregateReport) -> list[dict]:
    """The observed-versus-primary-reference table of a done report; each verdict sits on the row it was
    taken from (horizon or crude figures, see verdicts())."""
    results, verdict_of = report.results, report.details["verdicts"]
    verdict_rows = {**VERDICT_ROWS[verdict_of["basis"]], "duration_days_rmean_km": "duration_days_rmean_km"}
    rows = []
    for label, key, ci_key, ref_key, p_key in MEASURES:
        if key.startswith("horizon_") and results["follow_up_horizon_days"] is None:
            continue
        observed, se = results[key], results["duration_days_rmean_se"]
        if key == "duration_days_rmean_km" and observed is not None:
            ci = [observed - 1.96 * se, observed + 1.96 * se]
        else:
            ci = results[ci_key] if ci_key else None
        rows.append({"label": label, "key": key, "observed": observed, "ci": ci,
                     "reference": results[ref_key] if ref_key else None,
                     "p_value": results[p_key] if p_key else None,
                     "verdict": verdict_of.get(verdict_rows[key]) if key in verdict_rows else None,
                     "is_share": key in SHARE_KEYS})
    return rows


def definitions(report: AggregateReport) -> list[tuple[str, str]]:
    """The stored definitions in the active language: the report's own (W, h) rebuilt from its results."""
    shown = []
    for term, text in report.details["definitions"]:
        if term == THIS_REPORT:
            shown.append(report_definition(report.results["risk_window_days"],
                                           report.results["follow_up_horizon_days"], translate=True))
        else:
            shown.append((gettext(term) if term else term, gettext(text) if text else text))
    return shown


def comparisons(report: AggregateReport) -> list[dict]:
    """The stored profile comparisons with their measure and basis texts in the active language."""
    def shown(value):
        return gettext(value) if isinstance(value, str) and value else value
    return [{**comparison, "rows": [{**row, "measure": shown(row["measure"]), "basis": shown(row["basis"])}
                                    for row in comparison["rows"]]}
            for comparison in report.details["profile_comparisons"]]


def report_parameters(report: AggregateReport) -> dict:
    return {
        "report_id": report.pk, "product": report.product.code, "as_of": report.as_of.isoformat(),
        "site": report.site.code if report.site_id else None,
        "dose_mg_per_day": None if report.dose_mg_per_day is None else str(report.dose_mg_per_day),
        "exposure_start_from": report.exposure_start_from and report.exposure_start_from.isoformat(),
        "exposure_start_to": report.exposure_start_to and report.exposure_start_to.isoformat(),
        "reference_profile_id": report.reference_profile_id, "scheduled": report.scheduled,
    }


def report_export(report: AggregateReport) -> dict:
    """Everything a done snapshot holds, for the JSON download."""
    return {
        "parameters": report_parameters(report),
        "reference_profile": {"id": report.reference_profile_id, "history_id": report.reference_history_id,
                              "figures": report.reference_figures},
        "data_fingerprint": report.data_fingerprint, "fingerprint_parts": report.fingerprint_parts,
        "code_version": report.code_version, "timings": report.timings,
        "requested_at": report.requested_at.isoformat(),
        "finished_at": report.finished_at and report.finished_at.isoformat(),
        "results": {key: report.results[key] for key in RESULT_KEYS}, "verdicts": report.details["verdicts"],
        **monitoring_of(report),
        "profile_comparisons": report.details["profile_comparisons"],
        "alerts": report.alerts,
        "series": {key: report.details[key] for key in ("monthly_incidence", "duration_km", "time_to_first_isr_km",
                                                        "severity_counts")},
    }


def report_csv_rows(report: AggregateReport) -> list[list]:
    """Rows of the CSV download: one per parameter and measure; intervals split into low and high."""
    rows = [["section", "key", "value", "ci95_low", "ci95_high"]]
    for key, value in report_parameters(report).items():
        rows.append(["parameter", key, value, "", ""])
    for key in RESULT_KEYS:
        value = report.results[key]
        if key.endswith("_ci95") or key == "reference_duration_days":
            low, high = value if value else ("", "")
            rows.append(["result", key, "", low, high])
        else:
            rows.append(["result", key, value, "", ""])
    for key, value in report.details["verdicts"].items():
        rows.append(["verdict", key, value, "", ""])
    monitoring = monitoring_of(report)
    for measure, looks in monitoring["monitoring_looks"].items():
        for look in looks:
            for key in ("n", "x", "information_fraction", "z", "critical_value", "cumulative_alpha_spent"):
                rows.append(["monitoring_look", f"{measure}.{look['as_of']}.{key}", look[key], "", ""])
    for measure, signal in monitoring["monitoring_signal"].items():
        rows.append(["monitoring_signal", measure, signal, "", ""])
    for comparison in report.details["profile_comparisons"]:
        for row in comparison["rows"]:
            low, high = row["ci95"] or ("", "")
            rows.append([f"profile:{comparison['label']}", f"{row['measure']} ({row['basis']}) observed",
                         row["observed"], low, high])
            reference = row["reference"]
            rows.append([f"profile:{comparison['label']}", f"{row['measure']} reference",
                         "" if isinstance(reference, list) else reference,
                         *(reference if isinstance(reference, list) else ("", ""))])
    return rows
