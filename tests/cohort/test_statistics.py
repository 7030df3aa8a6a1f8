"""The statistics module against values published by R (printed to the digits R shows)."""
import pytest

from apps.cohort.statistics import (binomial_test_p, clopper_pearson, kaplan_meier, km_median, poisson_rate_ci,
                                     verdict)


def test_binomial_matches_r_binom_test():
    # R: binom.test(682, 925, p = 0.75)
    # p-value = 0.3825; 95 percent confidence interval: 0.7076683 0.7654066
    assert binomial_test_p(682, 925, 0.75) == pytest.approx(0.3825, abs=5e-5)
    low, high = clopper_pearson(682, 925)
    assert low == pytest.approx(0.7076683, abs=5e-8)
    assert high == pytest.approx(0.7654066, abs=5e-8)


def test_clopper_pearson_matches_r_at_the_boundaries():
    # R: binom.test(0, 10)$conf.int -> 0.0000000 0.3084971 ; binom.test(10, 10)$conf.int -> 0.6915029 1.0000000
    # (closed form: 1 - 0.025^(1/10) = 0.3084971)
    assert clopper_pearson(0, 10) == pytest.approx((0.0, 0.3084971), abs=5e-8)
    assert clopper_pearson(10, 10) == pytest.approx((0.6915029, 1.0), abs=5e-8)
    assert clopper_pearson(0, 0) is None


def test_binomial_p_value_of_a_symmetric_case_matches_r():
    # R: binom.test(5, 5, p = 0.5)$p.value -> 0.0625 (= 2 * 0.5^5)
    assert binomial_test_p(5, 5, 0.5) == pytest.approx(0.0625, abs=1e-12)
    assert binomial_test_p(3, 0, 0.5) is None


def test_poisson_matches_r_poisson_test():
    # R: poisson.test(137, 24.19893)
    # event rate 5.661407; 95 percent confidence interval: 4.753125 6.692709
    low, high = poisson_rate_ci(137, 24.19893)
    assert 137 / 24.19893 == pytest.approx(5.661407, abs=5e-7)
    assert low == pytest.approx(4.753125, abs=5e-6)
    assert high == pytest.approx(6.692709, abs=5e-6)


def test_poisson_interval_with_no_events_matches_r():
    # R: poisson.test(0, 10)$conf.int -> 0.0000000 0.3688879 (closed form: -log(0.025) / 10)
    assert poisson_rate_ci(0, 10) == pytest.approx((0.0, 0.3688879), abs=5e-7)
    assert poisson_rate_ci(3, 0) is None


# R survival's `aml` data set, both groups (time, status).
AML_TIME = [9, 13, 13, 18, 23, 28, 31, 34, 45, 48, 161, 5, 5, 8, 8, 12, 16, 23, 27, 30, 33, 43, 45]
AML_STATUS = [1, 1, 0, 1, 1, 0, 1, 1, 0, 1, 0, 1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 1]


def test_kaplan_meier_median_of_r_aml_data_is_27():
    # R: survfit(Surv(time, status) ~ 1, data = aml) -> median 27
    assert km_median(AML_TIME, AML_STATUS) == 27


def test_kaplan_meier_curve_matches_r_summary_of_aml():
    # R: summary(survfit(Surv(time, status) ~ 1, data = aml))$surv, first rows:
    # time 5 -> 0.9130, 8 -> 0.8261, 9 -> 0.7826, 12 -> 0.7391, 13 -> 0.6957
    curve = dict(kaplan_meier(AML_TIME, AML_STATUS))
    assert curve[5] == pytest.approx(0.9130, abs=5e-5)
    assert curve[8] == pytest.approx(0.8261, abs=5e-5)
    assert curve[9] == pytest.approx(0.7826, abs=5e-5)
    assert curve[12] == pytest.approx(0.7391, abs=5e-5)
    assert curve[13] == pytest.approx(0.6957, abs=5e-5)


def test_grouped_counts_give_the_same_curve_as_rows():
    rows = kaplan_meier([3, 3, 5, 7, 7, 7], [1, 1, 0, 1, 0, 1])
    grouped = kaplan_meier([3, 5, 7, 7], [1, 0, 1, 0], counts=[2, 1, 2, 1])
    assert [t for t, _ in rows] == [t for t, _ in grouped] == [3, 7]
    # By hand: S(3) = 1 - 2/6 = 2/3; at 7 three are at risk and two have events: 2/3 * 1/3 = 2/9.
    assert [s for _, s in rows] == pytest.approx([2 / 3, 2 / 9])
    assert [s for _, s in grouped] == pytest.approx([2 / 3, 2 / 9])


def test_median_is_undefined_when_survival_stays_above_half():
    assert km_median([10, 20, 30], [1, 0, 0]) is None


def test_verdict_reads_the_test():
    assert verdict(0.2, 0.70, 0.644) == "consistent"
    assert verdict(0.01, 0.35, 0.644) == "lower"
    assert verdict(0.001, 0.90, 0.644) == "higher"
    assert verdict(None, 0.5, 0.644) is None


def test_a_figure_that_is_not_a_finite_number_becomes_null_with_a_reason():
    from apps.cohort.profile import finite, undefined_reasons

    results = {"isr_incidence": float("nan"), "exposed_patients": 0, "eair_per_100py": None,
               "exposure_patient_years": 0, "isr_incidence_ci95": [0.1, float("inf")]}
    reasons = undefined_reasons(results)
    assert results["isr_incidence"] is None and results["isr_incidence_ci95"] is None
    assert reasons == {"isr_incidence": "not a finite number", "isr_incidence_ci95": "not a finite number",
                       "eair_per_100py": "no exposure time"}
    undefined = {}
    assert finite({"km": [[1, float("nan")]]}, undefined, "details") == {"km": [[1, None]]}
    assert undefined == {"details.km[0][1]": "not a finite number"}
