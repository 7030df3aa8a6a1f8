"""The report's figures: the ISR profile of a scope against a reference profile, from the rows.

The counting is done by the cohort's grouped queries (queries.profile_groups); this module turns the named
rows into the report's measures with the pure statistics, and records what was read (the fingerprint).
The report is the audited figure: it always reads the rows, never a rollup or a cache.
"""
import calendar
import hashlib
import json
import math
import time
from datetime import date, timedelta

from django.db.models import Count, Max, Sum

from apps.products.models import ReferenceProfile

from . import queries, rules, statistics
from .rules import DAYS_PER_YEAR, DEFINITIONS, defines
from .scope import Scope
from .sql import EPOCH, day_number, without_jit

ALPHA = 0.05

RESULT_KEYS = (
    "product", "as_of", "reference_incidence", "reference_mild_moderate_share", "reference_source",
    "exposed_patients", "exposed_6_months", "exposed_12_months", "exposure_patient_years", "isr_events",
    "patients_with_isr", "isr_incidence", "isr_incidence_ci95", "incidence_p_value", "eair_per_100py",
    "eair_ci95", "mild_moderate_share", "mild_moderate_ci95", "mild_moderate_p_value", "resolved_reactions",
    "ongoing_reactions", "duration_days_mean", "duration_days_median_km", "duration_within_reference_share",
    "reference_duration_days", "time_to_first_isr_median_km",
)

defines("ISR incidence", "Patients with at least one ISR / exposed patients; 95% CI Clopper–Pearson exact; "
                         "p-value: exact two-sided binomial test against the reference incidence.")
defines("EAIR", "Exposure-adjusted incidence rate: 100 × ISR events / patient-years; exact Poisson 95% CI.")
defines("Mild/moderate share", "Among patients with an ISR, the share whose most severe ISR is mild or moderate; "
                               "Clopper–Pearson CI and exact binomial test against the reference share.")
defines("Duration", "Resolved by D: resolution − onset + 1 days; otherwise censored at D − onset + 1. Mean over "
                    "resolved reactions; median by Kaplan–Meier (smallest t with S(t) ≤ 0.5, none if never).")
defines("Time to first ISR", "First counted ISR onset − first exposure start + 1 days; patients without one are "
                             "censored at their last exposure day (clipped to D) − first start + 1; Kaplan–Meier "
                             "median.")
defines("Verdict", "consistent when p ≥ 0.05, otherwise higher or lower than the reference; the duration median "
                   "is compared with the reference range.")
defines("Undefined figures", "A figure with no denominator (no exposed patient, no ISR, no exposure time) is "
                             "null, never NaN; the report's details say why (`undefined`).")


def _jsonable(value):
    if value is None or isinstance(value, (int, float, str)):
        return value
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def reference_figures(profile: ReferenceProfile) -> dict:
    """A copy of the profile's figures, kept in the snapshot whatever happens to the profile later."""
    fields = ("label", "source_citation", "source_url", "source_document", "effective_date", "isr_incidence",
              "isr_incidence_n", "comparator_incidence", "mild_moderate_share", "mild_moderate_n",
              "duration_min_days", "duration_max_days", "safety_database_patients", "exposed_6_months",
              "exposed_12_months", "dose_mg_per_day")
    return {"id": profile.pk, **{name: _jsonable(getattr(profile, name)) for name in fields}}


def reference_history_id(profile: ReferenceProfile):
    latest = profile.history.order_by("-history_id").values_list("history_id", flat=True).first()
    return latest


def data_fingerprint(scope: Scope, reference_profile: ReferenceProfile) -> tuple[str, dict]:
    """What the report read, summarised in SQL: counts, id sums and last changes of the counted rows
    plus the reference figures. Equal fingerprints mean the report would come out the same."""
    periods = rules.counted_periods(scope).aggregate(
        n=Count("id"), ids=Sum("id"), updated=Max("updated_at"), patients_updated=Max("patient__updated_at"))
    reactions = rules.counted_reactions(scope).aggregate(n=Count("id"), ids=Sum("id"), updated=Max("updated_at"))
    parts = {
        "periods": {key: _jsonable(value) for key, value in periods.items()},
        "reactions": {key: _jsonable(value) for key, value in reactions.items()},
        "reference": reference_figures(reference_profile),
    }
    digest = hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()
    return digest, parts


# --- assembling the report ---------------------------------------------------------------------

def _share(k, n):
    return k / n if n else None


def _to_float(value):
    return None if value is None else float(value)


def _interval(pair, scale=1.0):
    return None if pair is None else [pair[0] * scale, pair[1] * scale]


def isr_profile(scope: Scope, reference_profile: ReferenceProfile) -> tuple[dict, dict, dict]:
    """(results, details, timings) of the report. `results` holds exactly RESULT_KEYS; an undefined figure is
    None and `details["undefined"]` says why (never NaN, which JSON columns refuse)."""
    timings = {}
    clock = time.perf_counter()

    def lap(name):
        nonlocal clock
        now = time.perf_counter()
        timings[name] = round(now - clock, 6)
        clock = now

    profile = reference_profile
    with without_jit():
        patients, reactions, sql_timings = queries.profile_groups(scope)
    timings.update(sql_timings)
    lap("sql")

    durations = queries.duration_groups(reactions)
    severities = queries.severity_totals(reactions)
    entries, ttf = patients.entries, patients.time_to_first_isr
    exposed = sum(group.patients for group in entries)
    exposure_days = sum(group.exposure_days for group in entries)
    patient_years = exposure_days / DAYS_PER_YEAR
    events = sum(group.reactions for group in reactions)
    with_isr = sum(group.patients for group in ttf if group.event)
    mild_moderate = with_isr - sum(group.severe_patients for group in ttf)
    ref_incidence = _to_float(profile.isr_incidence)
    ref_mild = _to_float(profile.mild_moderate_share)
    ref_range = ([profile.duration_min_days, profile.duration_max_days]
                 if profile.duration_min_days is not None else None)

    resolved = [group for group in durations if group.resolved]
    resolved_count = sum(group.reactions for group in resolved)
    ongoing_count = sum(group.reactions for group in durations if not group.resolved)
    within = (sum(g.reactions for g in resolved if ref_range[0] <= g.duration_days <= ref_range[1])
              if ref_range and resolved_count else None)
    km_args = ([g.duration_days for g in durations], [g.resolved for g in durations], [g.reactions for g in durations])
    ttf_args = ([g.days for g in ttf], [g.event for g in ttf], [g.patients for g in ttf])
    eair = poisson = None
    if patient_years:
        eair = 100 * events / patient_years
        poisson = _interval(statistics.poisson_rate_ci(events, patient_years), 100)

    results = {
        "product": scope.product.code,
        "as_of": scope.as_of.isoformat(),
        "reference_incidence": ref_incidence,
        "reference_mild_moderate_share": ref_mild,
        "reference_source": profile.source_citation,
        "exposed_patients": exposed,
        "exposed_6_months": sum(group.exposed_6_months for group in entries),
        "exposed_12_months": sum(group.exposed_12_months for group in entries),
        "exposure_patient_years": patient_years,
        "isr_events": events,
        "patients_with_isr": with_isr,
        "isr_incidence": _share(with_isr, exposed),
        "isr_incidence_ci95": _interval(statistics.clopper_pearson(with_isr, exposed)),
        "incidence_p_value": statistics.binomial_test_p(with_isr, exposed, ref_incidence),
        "eair_per_100py": eair,
        "eair_ci95": poisson,
        "mild_moderate_share": _share(mild_moderate, with_isr),
        "mild_moderate_ci95": _interval(statistics.clopper_pearson(mild_moderate, with_isr)),
        "mild_moderate_p_value": statistics.binomial_test_p(mild_moderate, with_isr, ref_mild),
        "resolved_reactions": resolved_count,
        "ongoing_reactions": ongoing_count,
        "duration_days_mean": (sum(g.duration_days * g.reactions for g in resolved) / resolved_count)
        if resolved_count else None,
        "duration_days_median_km": _to_float(statistics.km_median(*km_args)),
        "duration_within_reference_share": _share(within, resolved_count) if within is not None else None,
        "reference_duration_days": ref_range,
        "time_to_first_isr_median_km": _to_float(statistics.km_median(*ttf_args)),
    }
    assert tuple(results) == RESULT_KEYS
    undefined = undefined_reasons(results)
    lap("statistics")

    details = {
        "verdicts": verdicts(results),
        "severity_counts": severities,
        "mild_moderate_patients": mild_moderate,
        "duration_km": [[t, s] for t, s in statistics.kaplan_meier(*km_args)],
        "duration_groups": [list(group) for group in durations],
        "time_to_first_isr_km": [[t, s] for t, s in statistics.kaplan_meier(*ttf_args)],
        "time_to_first_isr_max_days": max((g.days for g in ttf), default=0),
        "duration_max_days": max((g.duration_days for g in durations), default=0),
        "monthly_incidence": monthly_incidence(entries, patients.first_isr_days, scope.as_of),
        "definitions": list(DEFINITIONS),
        "undefined": undefined,
    }
    lap("series")
    return results, finite(details, undefined, "details"), timings


# Why a result is None, keyed by result; the first applicable reason is given.
_UNDEFINED_BECAUSE = {
    "isr_incidence": (("exposed_patients", "no exposed patients"),),
    "isr_incidence_ci95": (("exposed_patients", "no exposed patients"),),
    "incidence_p_value": (("exposed_patients", "no exposed patients"), ("reference_incidence", "no reference value")),
    "eair_per_100py": (("exposure_patient_years", "no exposure time"),),
    "eair_ci95": (("exposure_patient_years", "no exposure time"),),
    "mild_moderate_share": (("patients_with_isr", "no patients with an ISR"),),
    "mild_moderate_ci95": (("patients_with_isr", "no patients with an ISR"),),
    "mild_moderate_p_value": (("patients_with_isr", "no patients with an ISR"),
                              ("reference_mild_moderate_share", "no reference value")),
    "duration_days_mean": (("resolved_reactions", "no resolved reactions"),),
    "duration_within_reference_share": (("resolved_reactions", "no resolved reactions"),
                                        ("reference_duration_days", "no reference range")),
    "duration_days_median_km": (("isr_events", "no reactions"),),
    "time_to_first_isr_median_km": (("exposed_patients", "no exposed patients"),),
}
_KM_NEVER_HALF = "the Kaplan–Meier estimate never falls to 0.5 by the as-of date"


def undefined_reasons(results: dict) -> dict:
    """For each result that is None (or not a finite number, then set to None), the reason in words."""
    reasons = {}
    for key, value in results.items():
        if value is not None and not _is_finite(value):
            results[key] = value = None
            reasons[key] = "not a finite number"
        if value is None and key not in reasons and key in _UNDEFINED_BECAUSE:
            reasons[key] = next((why for needed, why in _UNDEFINED_BECAUSE[key] if not results.get(needed)),
                                _KM_NEVER_HALF if key.endswith("_median_km") else "not computable")
    return reasons


def _is_finite(value) -> bool:
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, (list, tuple)):
        return all(_is_finite(item) for item in value)
    return True


def finite(value, undefined: dict, path: str):
    """`value` with every non-finite float replaced by None (and recorded in `undefined` under its path)."""
    if isinstance(value, float) and not math.isfinite(value):
        undefined[path] = "not a finite number"
        return None
    if isinstance(value, dict):
        return {key: finite(item, undefined, f"{path}.{key}") for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite(item, undefined, f"{path}[{index}]") for index, item in enumerate(value)]
    return value


def verdicts(results: dict) -> dict:
    median, reference = results["duration_days_median_km"], results["reference_duration_days"]
    duration = None
    if median is not None and reference:
        duration = "higher" if median > reference[1] else "lower" if median < reference[0] else "consistent"
    return {
        "isr_incidence": statistics.verdict(results["incidence_p_value"], results["isr_incidence"],
                                            results["reference_incidence"], alpha=ALPHA),
        "mild_moderate_share": statistics.verdict(results["mild_moderate_p_value"], results["mild_moderate_share"],
                                                  results["reference_mild_moderate_share"], alpha=ALPHA),
        "duration_days_median_km": duration,
    }


def _month_end(year, month, as_of):
    end = date(year, month, calendar.monthrange(year, month)[1])
    return min(end, as_of)


def monthly_incidence(entries, firsts, as_of: date) -> list[dict]:
    """Cumulative incidence at each month end up to D: patients with a first ISR so far / patients exposed so far.

    The inputs are grouped by day, so the loop runs over distinct days and months, not patients."""
    if not entries:
        return []
    start = EPOCH + timedelta(days=entries[0].first_day)
    points, exposed, with_isr = [], 0, 0
    entry_index = first_index = 0
    year, month = start.year, start.month
    while (year, month) <= (as_of.year, as_of.month):
        end_day = day_number(_month_end(year, month, as_of))
        while entry_index < len(entries) and entries[entry_index].first_day <= end_day:
            exposed += entries[entry_index].patients
            entry_index += 1
        while first_index < len(firsts) and firsts[first_index].day <= end_day:
            with_isr += firsts[first_index].patients
            first_index += 1
        points.append({"month": f"{year:04d}-{month:02d}", "exposed": exposed, "with_isr": with_isr,
                       "incidence": _share(with_isr, exposed),
                       "ci95": _interval(statistics.clopper_pearson(with_isr, exposed))})
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return points
