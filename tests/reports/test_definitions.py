"""The issue-11 definitions on a cohort worked out on paper: attributable reactions and late onsets (W = 30),
the horizon cohort's edge (h = 168, first start exactly D − h + 1), days at risk to the first ISR, and the
time to first ISR censored at min(D, last end + W). R values are cited where R computed them.

As of D = 2026-06-30; D − h + 1 = 2026-01-14.
  P1 site-01  2026-01-14 → ongoing                  168 days; ISR 2026-06-30 moderate ongoing (= first start + 167:
                                                    the last day of the horizon; duration censored at 1)
  P2 site-01  2026-01-15 → ongoing                  167 days (one day too late for the horizon cohort);
                                                    ISR 2026-01-20 mild, 10 days
  P3 site-01  2025-03-01 → 2025-05-31 (92 d) and 2025-09-01 → 2025-10-31 (61 d);
              ISR 2025-06-20 severe, 20 days: 20 days after the first period ended, inside W: attributable;
              2025-08-15 mild (76 days after the end, before the second period) and 2026-01-15 mild ongoing
              (76 days after the last end): late onsets
  P4 site-01  2025-11-01 → 2026-02-28                120 days, no ISR: censored at min(D, 02-28 + 30) = 2026-03-30
  P5 site-01  2025-06-01 → ongoing                  395 days; ISR 2025-06-10 mild (10 d) and 2026-03-01 severe
                                                    (20 d; day 274, outside the horizon)
  P6 site-02  2025-12-01 → ongoing                  212 days, no ISR: censored at D
"""
import json
from datetime import date
from io import StringIO

import pytest
from django.core.management import call_command

from tests.factories import ExposurePeriodFactory, PatientFactory, ReactionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def cohort(site, other_site, product):
    def patient(name, at=site):
        return PatientFactory(site=at, patient_ref=name)

    def reaction(who, onset, resolution, severity):
        ReactionFactory(patient=who, onset_date=onset, resolution_date=resolution, severity=severity,
                        outcome="recovered" if resolution else "not_recovered")

    p1, p2, p3, p4, p5, p6 = (patient("P1"), patient("P2"), patient("P3"), patient("P4"), patient("P5"),
                              patient("P6", other_site))
    ExposurePeriodFactory(patient=p1, start_date=date(2026, 1, 14))
    ExposurePeriodFactory(patient=p2, start_date=date(2026, 1, 15))
    ExposurePeriodFactory(patient=p3, start_date=date(2025, 3, 1), end_date=date(2025, 5, 31))
    ExposurePeriodFactory(patient=p3, start_date=date(2025, 9, 1), end_date=date(2025, 10, 31))
    ExposurePeriodFactory(patient=p4, start_date=date(2025, 11, 1), end_date=date(2026, 2, 28))
    ExposurePeriodFactory(patient=p5, start_date=date(2025, 6, 1))
    ExposurePeriodFactory(patient=p6, start_date=date(2025, 12, 1))
    reaction(p1, date(2026, 6, 30), None, "moderate")
    reaction(p2, date(2026, 1, 20), date(2026, 1, 29), "mild")
    reaction(p3, date(2025, 6, 20), date(2025, 7, 9), "severe")
    reaction(p3, date(2025, 8, 15), date(2025, 8, 20), "mild")  # late
    reaction(p3, date(2026, 1, 15), None, "mild")  # late
    reaction(p5, date(2025, 6, 10), date(2025, 6, 19), "mild")
    reaction(p5, date(2026, 3, 1), date(2026, 3, 20), "severe")


def report(*args):
    out = StringIO()
    call_command("pv_aggregate", "--product", "anakinra", "--as-of", "2026-06-30", "--json", *args, stdout=out)
    return json.loads(out.getvalue())


def test_the_definitions_on_the_hand_computed_cohort(cohort):
    r = report()
    # Exposed P1–P6; exposure days 168 + 167 + 153 + 120 + 395 + 212 = 1215.
    assert (r["exposed_patients"], r["risk_window_days"], r["follow_up_horizon_days"]) == (6, 30, 168)
    assert r["exposure_patient_years"] == pytest.approx(1215 / 365.25)
    # Attributable: P1, P2, P3 (06-20, inside W after its period), P5 ×2 = 5; late onsets: P3's 08-15 and 01-15.
    assert (r["isr_events"], r["late_onset_reactions"], r["patients_with_isr"]) == (5, 2, 4)
    # Crude: 4/6; R binom.test(4, 6, p = 0.644) -> p 1, CI 0.2227780955 0.9567281317.
    assert r["isr_incidence"] == pytest.approx(4 / 6)
    assert r["isr_incidence_ci95"] == pytest.approx([0.2227780955, 0.9567281317], abs=1e-9)
    # Crude worst per patient: P1 moderate, P2 mild, P3 severe, P5 severe: 2/4; R binom.test(2, 4, p = 0.95)
    # -> p 0.01401875, CI 0.0675859865 0.9324140135 (nominally "lower", but the verdict reads the horizon).
    assert r["mild_moderate_share"] == 0.5
    assert r["mild_moderate_p_value"] == pytest.approx(0.01401875, abs=1e-9)
    # Horizon cohort: first start ≤ 2026-01-14: P1 (exactly), P3, P4, P5, P6; not P2 (01-15) = 5.
    # With a first ISR by first start + 167: P1 (06-30, the last day), P3 (day 112), P5 (day 10) = 3/5.
    # R binom.test(3, 5, p = 0.644) -> p 1, CI 0.1466327996 0.9472550495.
    assert (r["horizon_cohort_patients"], r["horizon_patients_with_isr"]) == (5, 3)
    assert r["horizon_incidence_ci95"] == pytest.approx([0.1466327996, 0.9472550495], abs=1e-9)
    assert r["horizon_incidence_p_value"] == pytest.approx(1.0)
    # Worst ISR within the horizon: P1 moderate, P3 severe, P5 mild (its severe one is on day 274) = 2/3;
    # R binom.test(2, 3, p = 0.95) -> p 0.142625, CI 0.0942993241 0.9915962413.
    assert (r["horizon_mild_moderate_patients"], r["horizon_mild_moderate_p_value"]) == (2, pytest.approx(0.142625))
    assert r["horizon_mild_moderate_ci95"] == pytest.approx([0.0942993241, 0.9915962413], abs=1e-9)
    # Days at risk to the first ISR: P1 168, P2 6, P3 92 (its first period, the ISR came after it; the second
    # period starts after the ISR), P4 120, P5 10, P6 212 = 608. EAIR = 100·4 / (608/365.25) = 240.2960526;
    # R poisson.test(4, 608/365.25)$conf.int -> 0.6547258680 6.1525333284.
    assert r["patient_years_at_risk"] == pytest.approx(608 / 365.25)
    assert r["eair_per_100py"] == pytest.approx(240.2960526, abs=1e-6)
    assert r["eair_ci95"] == pytest.approx([65.47258680, 615.25333284], abs=1e-6)
    # EAER = 100·5 / (1215/365.25) = 150.3086420; R poisson.test(5, 1215/365.25)$conf.int -> 0.4880480691 3.5077022979.
    assert r["eaer_per_100py"] == pytest.approx(150.3086420, abs=1e-6)
    assert r["eaer_ci95"] == pytest.approx([48.80480691, 350.77022979], abs=1e-6)
    # Time to first ISR: P2 6, P5 10, P3 112, P4 censored at (2026-03-30 − 2025-11-01) + 1 = 150, P1 168, P6
    # censored at 212. R: survfit(Surv(c(6, 10, 112, 150, 168, 212), c(1, 1, 1, 0, 1, 0)) ~ 1) -> median 140
    # (S = 0.5 from 112 to 168); summary(..., times = 168) -> surv 0.25, lower 0.0504587931, upper 1.
    assert r["time_to_first_isr_median_km"] == 140
    assert r["incidence_at_horizon_km"] == pytest.approx(0.75)
    assert r["incidence_at_horizon_km_ci95"] == pytest.approx([0.0, 1 - 0.0504587931], abs=1e-9)
    # Durations of the attributable ISRs: 10, 10, 20, 20 resolved and P1's censored at 1 (the late onsets' 6 days
    # and ongoing one are not there). R: print(survfit(Surv(c(10, 10, 20, 20, 1), c(1, 1, 1, 1, 0)) ~ 1),
    # rmean = 365) -> rmean 15, se(rmean) 2.5, median 15 (S = 0.5 from 10 to 20).
    assert (r["resolved_reactions"], r["ongoing_reactions"], r["duration_days_mean"]) == (4, 1, 15)
    assert (r["duration_days_rmean_km"], r["duration_days_rmean_se"]) == (pytest.approx(15), pytest.approx(2.5))
    assert r["duration_days_median_km"] == 15


def test_the_same_definitions_hold_under_filters(cohort, site):
    # Site-01 only: P6 goes; the late onsets and the horizon edge stay.
    r = report("--site", "site-01")
    assert (r["exposed_patients"], r["late_onset_reactions"], r["horizon_cohort_patients"]) == (5, 2, 4)
    # Censoring at last end + W still applies: P4 at 150; no P6: S(168) = 0 with P1 the only one at risk.
    assert r["patient_years_at_risk"] == pytest.approx(396 / 365.25)
    # Periods starting from 2025-09-01: P3's second, P4, P6, P1, P2. P3's 06-20 ISR belongs to its first period
    # (not selected); its 2026-01-15 late onset belongs to the second: 1 late onset, 2 attributable (P1, P2).
    r = report("--exposure-start-from", "2025-09-01")
    assert (r["exposed_patients"], r["isr_events"], r["late_onset_reactions"]) == (5, 2, 1)
    # Horizon cohort by the first selected start: P3 (09-01), P4, P6, P1; not P2 → 4, of whom P1 with an ISR.
    assert (r["horizon_cohort_patients"], r["horizon_patients_with_isr"]) == (4, 1)


def test_a_longer_risk_window_makes_a_late_onset_attributable(cohort, product):
    product.risk_window_days = 80  # versioned: the product keeps its history
    product.save()
    r = report()
    # P3's 08-15 onset is 76 days after its period ended: now inside W; its 01-15 onset (76 days) too.
    assert (r["risk_window_days"], r["late_onset_reactions"], r["isr_events"]) == (80, 0, 7)
    assert product.history.filter(risk_window_days=80).exists()
