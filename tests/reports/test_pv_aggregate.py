"""`pv_aggregate --json` on the hand-made cohort of tests/reports/cohort.py, worked out on paper."""
import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from apps.reports.models import AggregateReport, ReportStatus
from tests.reports.cohort import build_cohort

pytestmark = pytest.mark.django_db

CITATION = (
    "Introduction to the use of Kineret (anakinra) in Rheumatoid Arthritis (RA), product overview, "
    "section 'Safety': integrated pharmacovigilance database of 2606 RA patients; injection site "
    "reaction in 64.4% (n = 1399), mild or moderate in 95% (n = 1333); mean duration of typical "
    "symptoms (erythema, bruising, inflammation, pain) 14-28 days (refs 13, 14 of the overview)."
)


def run(*args):
    out = StringIO()
    call_command("pv_aggregate", *args, stdout=out)
    return json.loads(out.getvalue())


def test_it_prints_the_report_worked_out_by_hand(site, other_site, product):
    build_cohort(site, other_site)
    # Exposed: A, B, C, D, I (E voided patient, F voided exposure, G starts after D) = 5 patients.
    # Exposure days: A 181 + B 395 (214 + 181) + C 182 + D 364 + I 30 = 1152 → 1152 / 365.25 patient-years.
    patient_years = 1152 / 365.25  # 3.1540041...
    # Counted ISRs: R1, R2 (A), R3 (B), R5, R6 (D), R7 (I) = 6 events in 4 patients (A, B, D, I).
    # Incidence 4/5. Clopper–Pearson: lower = Beta⁻¹(0.025; 4, 2) = 0.2835821 (R binom.test(4, 5)),
    # upper = 0.975^(1/5) = 0.9949492.
    # Binomial test vs 0.644: P(X=k) for n=5: k=3 → 10·0.644³·0.356² = 0.3384992 is the only outcome more
    # likely than k=4 (0.3061706), so p = 1 − 0.3384992 = 0.6615008.
    # Every counted ISR lies inside an exposure period: all attributable, no late onset (W = 30).
    # EAER = 100·6 / (1152/365.25) = 600·365.25/1152 = 190.234375; exact Poisson for 6 events:
    # [χ²(0.025; 12)/2, χ²(0.975; 14)/2] = [2.2018943, 13.0594740] (R poisson.test(6)), ×100 / patient-years.
    # EAIR: days at risk up to and including the first ISR: A 10 (01-01 → 01-10), B 5 (2025-06-01 → 06-05),
    # C 182 (no ISR), D 31 (2025-01-02 → 02-01), I 10 → 238 days; 100·4 / (238/365.25) = 613.8655462;
    # R: poisson.test(4, 238/365.25)$conf.int -> 1.672577007 15.717396066 (per patient-year).
    # Horizon h = 168 (the seed overview): D − h + 1 = 2026-01-14. Cohort A (01-01), B, C, D; not I (04-01).
    # First ISR by first start + 167: A (day 10), B (day 5), D (day 31): 3/4 = 0.75, CP(3, 4) as below;
    # R: binom.test(3, 4, p = 0.644)$p.value -> 1. Worst ISR within the horizon: A moderate (R2 day 60), B
    # severe, D moderate (R6 day 90): 2/3; R: binom.test(2, 3)$conf.int -> 0.09429932405 0.99159624134,
    # binom.test(2, 3, p = 0.95)$p.value -> 0.142625.
    # Time to first ISR: C has no ISR and its last period ended 2026-03-31: censored at min(D, 03-31 + 30) =
    # 2026-04-30, (04-30 − 2025-10-01) + 1 = 212 days. KM: S(5) = 4/5, S(10) = 0.4, S(31) = 0.2, so
    # 1 − S(168) = 0.8; R: summary(survfit(Surv(c(5, 10, 10, 31, 212), c(1, 1, 1, 1, 0)) ~ 1), times = 168)
    # -> surv 0.2, lower 0.03464911851, upper 1 (log interval), so [0, 0.9653508815].
    # Worst severity per patient: A moderate, B severe, D moderate, I mild → 3 of 4 mild/moderate = 0.75.
    # CP(3, 4): [Beta⁻¹(0.025; 3, 2) = 0.1941204, 0.975^(1/4) = 0.9936905].
    # Binomial vs 0.95, n=4: P(4) = 0.95⁴ = 0.8145063 is the only outcome more likely than P(3) = 0.171475,
    # so p = 1 − 0.95⁴ = 0.18549375.
    # Durations: resolved by D: R1 20, R3 26, R5 43, R7 11 (4); ongoing/censored: R2 122, R6 456 (2).
    # Mean 100/4 = 25; within 14–28: 20 and 26 → 2/4.
    # KM: 11 (S=5/6), 20 (4/6), 26 (3/6 = 0.5 exactly until the next event), 43 (2/6), censored 122, 456: R's
    # printed median is the midpoint (26 + 43) / 2 = 34.5 (R: print(survfit(Surv(c(20,26,43,11,122,456),
    # c(1,1,1,1,0,0)) ~ 1)) -> median 34.5).
    # R: print(survfit(Surv(c(20, 26, 43, 11, 122, 456), c(1, 1, 1, 1, 0, 0)) ~ 1), rmean = 365)
    # -> rmean 138.33333333, se(rmean) 65.54882263: 138.3 − 1.96·65.5 = 9.86 ≤ 28, so "consistent".
    # Time to first ISR median: S(10) = 0.4 → 10.
    expected = {
        "product": "anakinra",
        "as_of": "2026-06-30",
        "reference_incidence": 0.644,
        "reference_mild_moderate_share": 0.95,
        "reference_source": CITATION,
        "risk_window_days": 30,
        "follow_up_horizon_days": 168,
        "exposed_patients": 5,
        "exposed_6_months": 2,  # B (395) and D (364); C has 182 days, A 181
        "exposed_12_months": 1,  # B only
        "exposure_patient_years": patient_years,
        "isr_events": 6,
        "late_onset_reactions": 0,
        "patients_with_isr": 4,
        "isr_incidence": 0.8,
        "isr_incidence_ci95": [0.2835821, 0.9949492],
        "incidence_p_value": 0.6615008,
        "horizon_cohort_patients": 4,
        "horizon_patients_with_isr": 3,
        "horizon_incidence": 0.75,
        "horizon_incidence_ci95": [0.1941204, 0.9936905],
        "horizon_incidence_p_value": 1.0,
        "horizon_mild_moderate_patients": 2,
        "horizon_mild_moderate_share": 2 / 3,
        "horizon_mild_moderate_ci95": [0.09429932405, 0.99159624134],
        "horizon_mild_moderate_p_value": 0.142625,
        "incidence_at_horizon_km": 0.8,
        "incidence_at_horizon_km_ci95": [0.0, 1 - 0.03464911851],
        "patient_years_at_risk": 238 / 365.25,
        "eair_per_100py": 613.8655462,
        "eair_ci95": [167.2577007, 1571.7396066],
        "eaer_per_100py": 190.234375,
        "eaer_ci95": [2.2018943 * 100 / patient_years, 13.0594740 * 100 / patient_years],
        "mild_moderate_share": 0.75,
        "mild_moderate_ci95": [0.1941204, 0.9936905],
        "mild_moderate_p_value": 0.18549375,
        "resolved_reactions": 4,
        "ongoing_reactions": 2,
        "duration_days_mean": 25.0,
        "duration_days_median_km": 34.5,
        "duration_days_rmean_km": 138.33333333,
        "duration_days_rmean_se": 65.54882263,
        "duration_within_reference_share": 0.5,
        "reference_duration_days": [14, 28],
        "time_to_first_isr_median_km": 10.0,
        "monitoring_looks": {},  # not a scheduled report
        "monitoring_signal": {},
    }
    report = run("--product", "anakinra", "--as-of", "2026-06-30", "--json")
    for key in ("isr_incidence_ci95", "eair_ci95", "eaer_ci95", "mild_moderate_ci95", "horizon_incidence_ci95",
                "horizon_mild_moderate_ci95", "incidence_at_horizon_km_ci95"):
        assert len(report[key]) == 2
        report[key + "_low"], report[key + "_high"] = report.pop(key)
        expected[key + "_low"], expected[key + "_high"] = expected.pop(key)
    # Hand values above have 7 significant digits.
    for key, value in expected.items():
        if isinstance(value, float):
            assert report[key] == pytest.approx(value, rel=2e-7, abs=1e-7), key
        else:
            assert report[key] == value, key
    assert set(report) == set(expected)


def test_it_filters_by_site(site, other_site, product):
    build_cohort(site, other_site)
    report = run("--product", "anakinra", "--as-of", "2026-06-30", "--site", "site-01", "--json")
    # Without I (site-02): A, B, C, D exposed; 1122 days; R1, R2, R3, R5, R6 in A, B, D.
    assert report["exposed_patients"] == 4
    assert report["exposure_patient_years"] == pytest.approx(1122 / 365.25)
    assert (report["isr_events"], report["patients_with_isr"]) == (5, 3)
    assert report["isr_incidence"] == pytest.approx(0.75)
    # Mild/moderate: A and D of A, B, D.
    assert report["mild_moderate_share"] == pytest.approx(2 / 3)
    # Durations 20, 26, 43 resolved; 122, 456 censored: S(20)=4/5, S(26)=3/5, S(43)=2/5 → 43.
    assert report["duration_days_median_km"] == 43


def test_it_counts_only_reactions_of_periods_at_the_chosen_dose(site, other_site, product):
    build_cohort(site, other_site)
    report = run("--product", "anakinra", "--as-of", "2026-06-30", "--dose", "200", "--json")
    # Only B's 200 mg period (2026-01-01 → D, 181 days); R3 happened during the 100 mg period.
    assert (report["exposed_patients"], report["isr_events"], report["patients_with_isr"]) == (1, 0, 0)
    assert report["exposure_patient_years"] == pytest.approx(181 / 365.25)
    assert report["isr_incidence"] == 0
    assert report["mild_moderate_share"] is None and report["mild_moderate_ci95"] is None


def test_it_restricts_to_periods_starting_in_the_range(site, other_site, product):
    build_cohort(site, other_site)
    report = run("--product", "anakinra", "--as-of", "2026-06-30", "--exposure-start-from", "2026-01-01",
                 "--exposure-start-to", "2026-04-01", "--json")
    # Periods: A (181), B's second (181), I (30); reactions R1, R2 (A) and R7 (I); R3 belongs to B's first period.
    assert report["exposed_patients"] == 3
    assert report["exposure_patient_years"] == pytest.approx(392 / 365.25)
    assert (report["isr_events"], report["patients_with_isr"]) == (3, 2)


def test_it_stores_one_snapshot_and_reuses_it_while_the_data_is_unchanged(site, other_site, product):
    cohort = build_cohort(site, other_site)
    run("--product", "anakinra", "--as-of", "2026-06-30", "--json")
    run("--product", "anakinra", "--as-of", "2026-06-30", "--json")
    assert AggregateReport.objects.filter(status=ReportStatus.DONE).count() == 1
    reaction = cohort.reactions["R2"]
    reaction.severity = "severe"
    reaction.save()
    changed = run("--product", "anakinra", "--as-of", "2026-06-30", "--json")
    assert changed["mild_moderate_share"] == pytest.approx(0.5)
    assert AggregateReport.objects.filter(status=ReportStatus.DONE).count() == 2


def test_it_queues_instead_of_computing_with_queue(product):
    out = StringIO()
    call_command("pv_aggregate", "--product", "anakinra", "--as-of", "2026-06-30", "--json", "--queue", stdout=out)
    printed = json.loads(out.getvalue())
    report = AggregateReport.objects.get()
    assert printed == {"report_id": report.pk, "status": "queued"}


@pytest.mark.parametrize("args, message", [
    (["--product", "nope", "--as-of", "2026-06-30"], "Unknown product 'nope'"),
    (["--product", "anakinra", "--as-of", "30/06/2026"], "not a date in YYYY-MM-DD form"),
    (["--product", "anakinra", "--as-of", "2026-06-30", "--site", "nowhere"], "Unknown site 'nowhere'"),
    (["--product", "anakinra", "--as-of", "2026-06-30", "--dose", "lots"], "--dose must be a number"),
    (["--product", "anakinra", "--as-of", "2026-06-30", "--reference", "999999"], "Unknown reference profile"),
    (["--product", "anakinra", "--as-of", "2026-06-30", "--exposure-start-from", "2026-05-01",
      "--exposure-start-to", "2026-04-01"], "exposure_start_to: The end of the exposure start range"),
])
def test_it_rejects_bad_arguments_with_a_clear_message(product, args, message):
    with pytest.raises(CommandError, match=message):
        call_command("pv_aggregate", *args, stdout=StringIO())
