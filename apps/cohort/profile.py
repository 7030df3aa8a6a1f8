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
from django.utils.translation import get_language, gettext, gettext_noop, override

from apps.products.models import ReferenceProfile

from . import queries, rules, statistics
from .rules import DAYS_PER_YEAR, DEFINITIONS, defines
from .scope import Scope
from .sql import EPOCH, day_number, without_jit

ALPHA = 0.05

RMEAN_TAU_DAYS = 365

RESULT_KEYS = (
    "product", "as_of", "reference_incidence", "reference_mild_moderate_share", "reference_source",
    "risk_window_days", "follow_up_horizon_days",
    "exposed_patients", "exposed_6_months", "exposed_12_months", "exposure_patient_years", "isr_events",
    "late_onset_reactions", "patients_with_isr", "isr_incidence", "isr_incidence_ci95", "incidence_p_value",
    "horizon_cohort_patients", "horizon_patients_with_isr", "horizon_incidence", "horizon_incidence_ci95",
    "horizon_incidence_p_value", "horizon_mild_moderate_patients", "horizon_mild_moderate_share",
    "horizon_mild_moderate_ci95", "horizon_mild_moderate_p_value", "incidence_at_horizon_km",
    "incidence_at_horizon_km_ci95", "patient_years_at_risk", "eair_per_100py", "eair_ci95", "eaer_per_100py",
    "eaer_ci95", "mild_moderate_share", "mild_moderate_ci95", "mild_moderate_p_value", "resolved_reactions",
    "ongoing_reactions", "duration_days_mean", "duration_days_median_km", "duration_days_rmean_km",
    "duration_days_rmean_se", "duration_within_reference_share", "reference_duration_days",
    "time_to_first_isr_median_km",
)
HORIZON_KEYS = ("horizon_cohort_patients", "horizon_patients_with_isr", "horizon_incidence", "horizon_incidence_ci95",
                "horizon_incidence_p_value", "horizon_mild_moderate_patients", "horizon_mild_moderate_share",
                "horizon_mild_moderate_ci95", "horizon_mild_moderate_p_value")

defines(gettext_noop("Crude ISR incidence"),
        gettext_noop("Patients with at least one attributable ISR / exposed patients; 95% CI Clopper–Pearson "
                     "exact; nominal p: exact two-sided binomial test against the reference incidence."))
defines(gettext_noop("Crude mild/moderate share"),
        gettext_noop("Among patients with an attributable ISR, the share whose most severe one is mild or "
                     "moderate; Clopper–Pearson CI and nominal exact binomial p against the reference share."))
defines(gettext_noop("Horizon cohort"),
        gettext_noop("When the reference profile has a follow-up horizon h (days; 168 for the 24-week trials "
                     "behind 64.4%): the exposed patients whose first exposure start ≤ D − h + 1, so that each had "
                     "h days of possible follow-up by D whatever happened to them, as in a trial's treated "
                     "population."))
defines(gettext_noop("Horizon incidence"),
        gettext_noop("Of the horizon cohort, those with an attributable ISR with onset ≤ first start + h − 1; "
                     "Clopper–Pearson CI and nominal exact binomial p against the reference incidence."))
defines(gettext_noop("Horizon mild/moderate share"),
        gettext_noop("Of those, the share whose worst attributable ISR within the horizon is mild or moderate; "
                     "Clopper–Pearson CI and nominal exact binomial p."))
defines(gettext_noop("Incidence at the horizon (Kaplan–Meier)"),
        gettext_noop("1 − S(h) of the time to first ISR below; 95% CI from the log-scale interval of S, as R "
                     "summary(survfit(...), times = h) gives it (conf.type \"log\"); empty when h is beyond the "
                     "last observed time."))
defines(gettext_noop("EAIR"),
        gettext_noop("Exposure-adjusted incidence rate: 100 × patients with an attributable ISR / patient-years at "
                     "risk, a patient's time at risk being their exposure days up to and including the first ISR "
                     "onset (all exposure days without one); exact Poisson 95% CI."))
defines(gettext_noop("EAER"),
        gettext_noop("Exposure-adjusted event rate: 100 × attributable ISR events (repeats included) / exposure "
                     "patient-years; exact Poisson 95% CI."))
defines(gettext_noop("Time to first ISR"),
        gettext_noop("(First attributable ISR onset − first exposure start) + 1 days; a patient without one is "
                     "censored at (min(D, last period end + W) − first start) + 1, an ongoing period ending at D; "
                     "Kaplan–Meier median as R's survfit prints it."))
defines(gettext_noop("Duration"),
        gettext_noop("Resolved by D: (resolution − onset) + 1 days; otherwise censored at (D − onset) + 1. The "
                     "mean is over resolved ISRs only (biased short, kept for reference); the Kaplan–Meier "
                     "restricted mean up to 365 days and its standard error are R's print(survfit(...), rmean = "
                     "365); the median follows R's printed rule (the midpoint when S(t) = 0.5 exactly on an "
                     "interval)."))
defines(gettext_noop("Verdicts"),
        gettext_noop("Against the primary profile. Incidence and mild/moderate share: on the horizon figures when "
                     "the profile has a horizon, the crude ones otherwise; consistent when the nominal p ≥ 0.05, "
                     "otherwise higher or lower. Duration: longer when rmean − 1.96·se > the range's upper end, "
                     "shorter when rmean + 1.96·se < its lower end, else consistent. Nominal p-values are not "
                     "corrected for the monthly looks: alerts on incidence and share come only from the monitoring "
                     "plan."))
defines(gettext_noop("Sequential monitoring"),
        gettext_noop("A look is a scheduled report on or after the plan's start date. At look k: n_k = horizon "
                     "cohort (for the mild/moderate share: its patients with an ISR), x_k the events, information "
                     "fraction t_k = min(1, horizon cohort / N max) (a look with no new patients is skipped), z_k "
                     "= (x_k − n_k p0) / √(n_k p0 (1 − p0)), critical value c_k from the Lan–DeMets spending "
                     "function (O'Brien–Fleming or Pocock type) at t_1…t_k by recursive numerical integration. The "
                     "plan signals higher when z_k ≥ c_k, lower when z_k ≤ −c_k, at the first crossing; only a "
                     "crossing alerts."))
defines(gettext_noop("Other current profiles"),
        gettext_noop("Observed figures are shown against every current profile of the product, each on its own "
                     "horizon when it has one; the cited event rates per 100 patient-years are set beside the EAER "
                     "over all exposure."))
defines(gettext_noop("Undefined figures"),
        gettext_noop("A figure with no denominator (no exposed patient, no ISR, no exposure time) is null, never "
                     "NaN; the report's details say why (`undefined`)."))


def _jsonable(value):
    if value is None or isinstance(value, (int, float, str, list, dict)):
        return value
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def reference_figures(profile: ReferenceProfile) -> dict:
    """A copy of the profile's figures, kept in the snapshot whatever happens to the profile later."""
    fields = ("label", "source_citation", "source_url", "source_document", "effective_date", "isr_incidence",
              "isr_incidence_n", "comparator_incidence", "mild_moderate_share", "mild_moderate_n",
              "duration_min_days", "duration_max_days", "safety_database_patients", "exposed_6_months",
              "exposed_12_months", "dose_mg_per_day", "follow_up_horizon_days", "comparator_n",
              "event_rates_per_100py", "is_primary")
    return {"id": profile.pk, **{name: _jsonable(getattr(profile, name)) for name in fields}}


def reference_history_id(profile: ReferenceProfile):
    latest = profile.history.order_by("-history_id").values_list("history_id", flat=True).first()
    return latest


def data_fingerprint(scope: Scope, reference_profile: ReferenceProfile) -> tuple[str, dict]:
    """What the report read, summarised in SQL: counts, id sums and last changes of the counted rows
    plus the reference figures. Equal fingerprints mean the report would come out the same."""
    periods = rules.counted_periods(scope).aggregate(
        n=Count("id"), ids=Sum("id"), updated=Max("updated_at"), patients_updated=Max("patient__updated_at"))
    # Late onsets too: they are counted apart, and a change of W moves reactions between the two.
    reactions = rules.reactions_by_date(scope).aggregate(n=Count("id"), ids=Sum("id"), updated=Max("updated_at"))
    parts = {
        "periods": {key: _jsonable(value) for key, value in periods.items()},
        "reactions": {key: _jsonable(value) for key, value in reactions.items()},
        "reference": reference_figures(reference_profile),
        "current_profiles": [reference_figures(profile) for profile in scope.product.current_reference_profiles()],
        "risk_window_days": scope.risk_window_days,
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


def _proportion(k, n, reference):
    """(share, Clopper–Pearson CI, exact binomial p against `reference`) of k in n."""
    return (_share(k, n), _interval(statistics.clopper_pearson(k, n)),
            statistics.binomial_test_p(k, n, reference) if n else None)


def horizon_figures(entries: list, as_of: date, horizon: int | None, ref_incidence, ref_mild) -> dict:
    """The horizon cohort's figures (HORIZON_KEYS): patients whose first exposure start ≤ D − h + 1, those with a
    counted ISR by first start + h − 1, and how many of those had no severe one within the horizon."""
    if horizon is None:
        return {key: None for key in HORIZON_KEYS}
    last_entry_day = day_number(as_of) - horizon + 1
    cohort = [entry for entry in entries if entry.first_day <= last_entry_day]
    patients = sum(entry.patients for entry in cohort)
    with_isr = sum(entry.with_horizon_isr for entry in cohort)
    mild_moderate = with_isr - sum(entry.with_horizon_severe for entry in cohort)
    incidence, incidence_ci, incidence_p = _proportion(with_isr, patients, ref_incidence)
    share, share_ci, share_p = _proportion(mild_moderate, with_isr, ref_mild)
    return {
        "horizon_cohort_patients": patients, "horizon_patients_with_isr": with_isr,
        "horizon_incidence": incidence, "horizon_incidence_ci95": incidence_ci,
        "horizon_incidence_p_value": incidence_p, "horizon_mild_moderate_patients": mild_moderate,
        "horizon_mild_moderate_share": share, "horizon_mild_moderate_ci95": share_ci,
        "horizon_mild_moderate_p_value": share_p,
    }


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
    horizon = profile.follow_up_horizon_days
    with without_jit():
        patients, reactions, sql_timings = queries.profile_groups(scope, horizon)
        late_onsets = rules.late_onset_reactions(scope).count()
    timings.update(sql_timings)
    lap("sql")

    durations = queries.duration_groups(reactions)
    severities = queries.severity_totals(reactions)
    entries, ttf = patients.entries, patients.time_to_first_isr
    exposed = sum(group.patients for group in entries)
    patient_years = sum(group.exposure_days for group in entries) / DAYS_PER_YEAR
    years_at_risk = sum(group.at_risk_days for group in entries) / DAYS_PER_YEAR
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
    rmean = statistics.km_restricted_mean(*km_args, tau=RMEAN_TAU_DAYS)
    km_incidence = (statistics.cumulative_incidence_at(*ttf_args, time=horizon)
                    if horizon is not None and ttf else None)
    incidence, incidence_ci, incidence_p = _proportion(with_isr, exposed, ref_incidence)
    share, share_ci, share_p = _proportion(mild_moderate, with_isr, ref_mild)

    results = {
        "product": scope.product.code,
        "as_of": scope.as_of.isoformat(),
        "reference_incidence": ref_incidence,
        "reference_mild_moderate_share": ref_mild,
        "reference_source": profile.source_citation,
        "risk_window_days": scope.risk_window_days,
        "follow_up_horizon_days": horizon,
        "exposed_patients": exposed,
        "exposed_6_months": sum(group.exposed_6_months for group in entries),
        "exposed_12_months": sum(group.exposed_12_months for group in entries),
        "exposure_patient_years": patient_years,
        "isr_events": events,
        "late_onset_reactions": late_onsets,
        "patients_with_isr": with_isr,
        "isr_incidence": incidence,
        "isr_incidence_ci95": incidence_ci,
        "incidence_p_value": incidence_p,
        **horizon_figures(entries, scope.as_of, horizon, ref_incidence, ref_mild),
        "incidence_at_horizon_km": None if km_incidence is None else km_incidence[0],
        "incidence_at_horizon_km_ci95": (None if km_incidence is None or km_incidence[1] is None
                                         else [km_incidence[1], km_incidence[2]]),
        "patient_years_at_risk": years_at_risk,
        "eair_per_100py": 100 * with_isr / years_at_risk if years_at_risk else None,
        "eair_ci95": _interval(statistics.poisson_rate_ci(with_isr, years_at_risk), 100) if years_at_risk else None,
        "eaer_per_100py": 100 * events / patient_years if patient_years else None,
        "eaer_ci95": _interval(statistics.poisson_rate_ci(events, patient_years), 100) if patient_years else None,
        "mild_moderate_share": share,
        "mild_moderate_ci95": share_ci,
        "mild_moderate_p_value": share_p,
        "resolved_reactions": resolved_count,
        "ongoing_reactions": ongoing_count,
        "duration_days_mean": (sum(g.duration_days * g.reactions for g in resolved) / resolved_count)
        if resolved_count else None,
        "duration_days_median_km": _to_float(statistics.km_median(*km_args)),
        "duration_days_rmean_km": None if rmean is None else rmean[0],
        "duration_days_rmean_se": None if rmean is None else rmean[1],
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
        "profile_comparisons": profile_comparisons(scope, results, entries, mild_moderate),
        "definitions": [report_definition(scope.risk_window_days, horizon), *DEFINITIONS],
        "undefined": undefined,
    }
    lap("series")
    return results, finite(details, undefined, "details"), timings


THIS_REPORT = gettext_noop("This report")


def report_definition(risk_window_days, horizon, translate=False) -> tuple[str, str]:
    """The definition of W and h of one report: in English (the copy the report stores) or, `translate`, in the
    active language (the report page rebuilds it from the stored results, apps.reports.exports.definitions)."""
    with override(get_language() if translate else "en"):
        if horizon is None:
            text = gettext("W = %(window)s days (the product's risk window); the primary profile has no follow-up "
                           "horizon: the horizon figures are empty.") % {"window": risk_window_days}
        else:
            text = gettext("W = %(window)s days (the product's risk window); h = %(horizon)s days (the primary "
                           "profile's follow-up horizon).") % {"window": risk_window_days, "horizon": horizon}
        return gettext(THIS_REPORT), text


def profile_comparisons(scope: Scope, results: dict, entries: list, mild_moderate: int) -> list[dict]:
    """Observed figures against each current profile of the product, the primary first: incidence and the
    mild/moderate share on the profile's own horizon when it has one (crude otherwise), with nominal p; the
    duration range against the restricted mean; the cited event rates against the EAER."""
    comparisons = []
    for profile in scope.product.current_reference_profiles():
        horizon = profile.follow_up_horizon_days
        ref_incidence, ref_mild = _to_float(profile.isr_incidence), _to_float(profile.mild_moderate_share)
        if horizon is not None:
            own = entries if horizon == results["follow_up_horizon_days"] else \
                queries.patient_groups(scope, horizon).entries
            figures = horizon_figures(own, scope.as_of, horizon, ref_incidence, ref_mild)
            incidence = (figures["horizon_incidence"], figures["horizon_incidence_ci95"],
                         figures["horizon_incidence_p_value"])
            share = (figures["horizon_mild_moderate_share"], figures["horizon_mild_moderate_ci95"],
                     figures["horizon_mild_moderate_p_value"])
            basis = f"horizon {horizon} d, n = {figures['horizon_cohort_patients']}"
        else:
            incidence = (results["isr_incidence"], results["isr_incidence_ci95"],
                         statistics.binomial_test_p(results["patients_with_isr"], results["exposed_patients"],
                                                    ref_incidence))
            share = (results["mild_moderate_share"], results["mild_moderate_ci95"],
                     statistics.binomial_test_p(mild_moderate, results["patients_with_isr"], ref_mild))
            basis = gettext_noop("crude")
        rows = []
        if ref_incidence is not None:
            rows.append({"measure": gettext_noop("ISR incidence"), "basis": basis, "reference": ref_incidence,
                         "reference_n": profile.isr_incidence_n, "observed": incidence[0], "ci95": incidence[1],
                         "nominal_p_value": incidence[2], "is_share": True})
        if profile.comparator_incidence is not None:
            rows.append({"measure": gettext_noop("ISR incidence on the comparator (placebo)"),
                         "basis": gettext_noop("cited only"),
                         "reference": _to_float(profile.comparator_incidence), "reference_n": profile.comparator_n,
                         "observed": None, "ci95": None, "nominal_p_value": None, "is_share": True})
        if ref_mild is not None:
            rows.append({"measure": gettext_noop("Mild/moderate share"), "basis": basis, "reference": ref_mild,
                         "reference_n": profile.mild_moderate_n, "observed": share[0], "ci95": share[1],
                         "nominal_p_value": share[2], "is_share": True})
        if profile.duration_min_days is not None:
            rmean, se = results["duration_days_rmean_km"], results["duration_days_rmean_se"]
            rows.append({"measure": gettext_noop("ISR duration, days (restricted mean to 365 d)"),
                         "basis": gettext_noop("all counted ISRs"),
                         "reference": [profile.duration_min_days, profile.duration_max_days], "reference_n": None,
                         "observed": rmean, "ci95": None if rmean is None else [rmean - 1.96 * se, rmean + 1.96 * se],
                         "nominal_p_value": None, "is_share": False, "is_range": True})
        for rate in profile.event_rates_per_100py:
            rows.append({"measure": f"ISR events per 100 patient-years, {rate['period']}",
                         "basis": gettext_noop("EAER over all exposure"), "reference": rate["events_per_100py"],
                         "reference_n": rate.get("patient_years"), "observed": results["eaer_per_100py"],
                         "ci95": results["eaer_ci95"], "nominal_p_value": None, "is_share": False})
        comparisons.append({"profile_id": profile.pk, "label": profile.label, "is_primary": profile.is_primary,
                            "source_citation": profile.source_citation, "source_url": profile.source_url,
                            "follow_up_horizon_days": horizon, "rows": rows})
    return comparisons


# Why a result is None, keyed by result; the first applicable reason is given.
_UNDEFINED_BECAUSE = {
    "isr_incidence": (("exposed_patients", "no exposed patients"),),
    "isr_incidence_ci95": (("exposed_patients", "no exposed patients"),),
    "incidence_p_value": (("exposed_patients", "no exposed patients"), ("reference_incidence", "no reference value")),
    "eair_per_100py": (("patient_years_at_risk", "no time at risk"),),
    "eair_ci95": (("patient_years_at_risk", "no time at risk"),),
    "eaer_per_100py": (("exposure_patient_years", "no exposure time"),),
    "eaer_ci95": (("exposure_patient_years", "no exposure time"),),
    **{key: (("follow_up_horizon_days", "the reference profile has no follow-up horizon"),
             ("horizon_cohort_patients", "no patient in the horizon cohort"))
       for key in ("horizon_incidence", "horizon_incidence_ci95", "horizon_incidence_p_value")},
    **{key: (("follow_up_horizon_days", "the reference profile has no follow-up horizon"),
             ("horizon_patients_with_isr", "no patient of the horizon cohort with an ISR"))
       for key in ("horizon_mild_moderate_share", "horizon_mild_moderate_ci95", "horizon_mild_moderate_p_value")},
    **{key: (("follow_up_horizon_days", "the reference profile has no follow-up horizon"),
             ("exposed_patients", "no exposed patients"))
       for key in ("incidence_at_horizon_km", "incidence_at_horizon_km_ci95")},
    "duration_days_rmean_km": (("isr_events", "no reactions"),),
    "duration_days_rmean_se": (("isr_events", "no reactions"),),
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
    """Verdicts against the primary profile: on the horizon figures when it has a horizon, the crude ones
    otherwise (nominal p at 0.05); the duration on the restricted mean's interval against the range."""
    on_horizon = results.get("follow_up_horizon_days") is not None
    if on_horizon:
        incidence_key, incidence_p = "horizon_incidence", "horizon_incidence_p_value"
        share_key, share_p = "horizon_mild_moderate_share", "horizon_mild_moderate_p_value"
    else:
        incidence_key, incidence_p = "isr_incidence", "incidence_p_value"
        share_key, share_p = "mild_moderate_share", "mild_moderate_p_value"
    reference = results.get("reference_duration_days") or (None, None)
    return {
        "basis": "horizon" if on_horizon else "crude",
        "isr_incidence": statistics.verdict(results[incidence_p], results[incidence_key],
                                            results["reference_incidence"], alpha=ALPHA),
        "mild_moderate_share": statistics.verdict(results[share_p], results[share_key],
                                                  results["reference_mild_moderate_share"], alpha=ALPHA),
        "duration_days_rmean_km": statistics.range_verdict(results.get("duration_days_rmean_km"),
                                                           results.get("duration_days_rmean_se"), *reference),
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
