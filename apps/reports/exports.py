"""The report page's measure table and the JSON and CSV downloads of a done snapshot."""
from apps.cohort.profile import RESULT_KEYS

from .models import AggregateReport

MEASURES = (
    # label, observed key, ci key, reference key, p key, verdict key
    ("ISR incidence (patients with ≥ 1 ISR)", "isr_incidence", "isr_incidence_ci95", "reference_incidence",
     "incidence_p_value", "isr_incidence"),
    ("Mild/moderate share (worst ISR per patient)", "mild_moderate_share", "mild_moderate_ci95",
     "reference_mild_moderate_share", "mild_moderate_p_value", "mild_moderate_share"),
    ("EAIR per 100 patient-years", "eair_per_100py", "eair_ci95", None, None, None),
    ("Median ISR duration, days (Kaplan–Meier)", "duration_days_median_km", None, "reference_duration_days", None,
     "duration_days_median_km"),
    ("Mean duration of resolved ISRs, days", "duration_days_mean", None, None, None, None),
    ("Resolved ISRs lasting within the reference range", "duration_within_reference_share", None, None, None, None),
    ("Median time to first ISR, days (Kaplan–Meier)", "time_to_first_isr_median_km", None, None, None, None),
)


def measure_rows(report: AggregateReport) -> list[dict]:
    """The observed-versus-reference table of a done report."""
    results, verdict_of = report.results, report.details["verdicts"]
    return [{
        "label": label, "key": key, "observed": results[key], "ci": results[ci_key] if ci_key else None,
        "reference": results[ref_key] if ref_key else None, "p_value": results[p_key] if p_key else None,
        "verdict": verdict_of.get(verdict_key) if verdict_key else None,
        "is_share": key in ("isr_incidence", "mild_moderate_share", "duration_within_reference_share"),
    } for label, key, ci_key, ref_key, p_key, verdict_key in MEASURES]


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
    return rows
