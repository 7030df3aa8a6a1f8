"""The statistics module against values published by R (printed to the digits R shows)."""
import pytest

from apps.cohort.statistics import (binomial_test_p, clopper_pearson, cumulative_incidence_at, kaplan_meier,
                                     km_median, km_restricted_mean, km_survival_at, poisson_rate_ci, range_verdict,
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


def test_median_follows_r_printed_rule_when_survival_is_exactly_half():
    # R: print(survfit(Surv(c(1, 2, 3, 4), rep(1, 4)) ~ 1)) -> median 2.5 (S = 0.5 on [2, 3))
    assert km_median([1, 2, 3, 4], [1, 1, 1, 1]) == 2.5
    # R: print(survfit(Surv(c(10,14,14,20,21,28,30,35,60,400,5,18), c(1,1,1,1,0,1,1,0,1,0,1,1)) ~ 1))
    # -> median 24 (S = 0.5 from 20 to the next event at 28)
    assert km_median([10, 14, 14, 20, 21, 28, 30, 35, 60, 400, 5, 18], [1, 1, 1, 1, 0, 1, 1, 0, 1, 0, 1, 1]) == 24
    # R: print(survfit(Surv(1:6, c(1, 1, 1, 0, 0, 0)) ~ 1)) -> median 3 (S stays 0.5: no later drop)
    assert km_median([1, 2, 3, 4, 5, 6], [1, 1, 1, 0, 0, 0]) == 3
    # R: print(survfit(Surv(c(2, 2, 5, 7, 9, 9), c(1, 1, 0, 1, 1, 0)) ~ 1)) -> median 7
    assert km_median([2, 2, 5, 7, 9, 9], [1, 1, 0, 1, 1, 0]) == 7


def test_restricted_mean_matches_r_print_rmean():
    # R: print(survfit(Surv(time, status) ~ 1, data = aml), rmean = 365) -> rmean* 53.2587991718, se 24.3985469520
    assert km_restricted_mean(AML_TIME, AML_STATUS, tau=365) == pytest.approx((53.2587991718, 24.3985469520),
                                                                            abs=1e-9)
    # R: print(survfit(Surv(time, status) ~ 1, data = aml), rmean = 30) -> 22.03726708075, se 2.00741136104
    assert km_restricted_mean(AML_TIME, AML_STATUS, tau=30) == pytest.approx((22.03726708075, 2.00741136104),
                                                                           abs=1e-9)
    # R: print(survfit(Surv(c(1, 2, 3, 4), rep(1, 4)) ~ 1), rmean = 365) -> 2.5, se 0.559016994375
    assert km_restricted_mean([1, 2, 3, 4], [1, 1, 1, 1]) == pytest.approx((2.5, 0.559016994375), abs=1e-9)
    # R: t <- c(3,5,5,8,10,12,15,20,20,25,30,400,7,9); s <- c(1,1,0,1,1,0,1,1,1,0,1,0,1,0)
    #    print(survfit(Surv(t, s) ~ 1), rmean = 365) -> rmean* 68.83847403, se(rmean) 44.90182167
    times, status = [3, 5, 5, 8, 10, 12, 15, 20, 20, 25, 30, 400, 7, 9], [1, 1, 0, 1, 1, 0, 1, 1, 1, 0, 1, 0, 1, 0]
    assert km_restricted_mean(times, status) == pytest.approx((68.83847403, 44.90182167), abs=1e-7)
    grouped = km_restricted_mean([5, 5, 20], [1, 0, 1], counts=[1, 1, 2])
    assert grouped == pytest.approx(km_restricted_mean([5, 5, 20, 20], [1, 0, 1, 1]))
    assert km_restricted_mean([], []) is None


def test_survival_at_a_time_matches_r_summary_with_log_interval():
    # R: summary(survfit(Surv(time, status) ~ 1, data = aml), times = 20)
    # surv 0.645962732919, lower 95% CI 0.475257724706, upper 0.877982262317
    assert km_survival_at(AML_TIME, AML_STATUS, time=20) == pytest.approx(
        (0.645962732919, 0.475257724706, 0.877982262317), abs=1e-9)
    # R: t <- c(3,5,5,8,10,12,15,20,20,25,30,400,7,9); ...; summary(survfit(Surv(t, s) ~ 1), times = 12)
    # surv 0.613636363636, lower 0.395954526353, upper 0.950991999624
    times, status = [3, 5, 5, 8, 10, 12, 15, 20, 20, 25, 30, 400, 7, 9], [1, 1, 0, 1, 1, 0, 1, 1, 1, 0, 1, 0, 1, 0]
    assert km_survival_at(times, status, time=12) == pytest.approx(
        (0.613636363636, 0.395954526353, 0.950991999624), abs=1e-9)
    # R: summary(survfit(Surv(c(1, 2, 3), c(1, 1, 1)) ~ 1), times = 3) -> surv 0, lower NA, upper NA;
    #    times = 0.5 -> 1, 1, 1; times beyond the last time: "no points selected" (extend = FALSE)
    assert km_survival_at([1, 2, 3], [1, 1, 1], time=3) == (0.0, None, None)
    assert km_survival_at([1, 2, 3], [1, 1, 1], time=0.5) == (1.0, 1.0, 1.0)
    assert km_survival_at([1, 2, 3], [1, 1, 1], time=5) is None


def test_cumulative_incidence_at_the_horizon_is_one_minus_r_survival():
    # R: t <- c(5, 12, 12, 30, 45, 60, 90, 168, 170, 200, 14, 21, 100, 150, 168, 180)
    #    s <- c(1, 1, 1, 0, 1, 1, 0, 1, 0, 0, 1, 1, 0, 1, 0, 1)
    #    summary(survfit(Surv(t, s) ~ 1), times = 168)
    #    -> surv 0.366666666667, lower 0.177626666971, upper 0.756893358057
    times = [5, 12, 12, 30, 45, 60, 90, 168, 170, 200, 14, 21, 100, 150, 168, 180]
    status = [1, 1, 1, 0, 1, 1, 0, 1, 0, 0, 1, 1, 0, 1, 0, 1]
    incidence, low, high = cumulative_incidence_at(times, status, time=168)
    assert incidence == pytest.approx(1 - 0.366666666667, abs=1e-9)
    assert (low, high) == pytest.approx((1 - 0.756893358057, 1 - 0.177626666971), abs=1e-9)
    # R: print(survfit(Surv(t, s) ~ 1)) -> median 150
    assert km_median(times, status) == 150


def test_range_verdict_uses_the_interval_of_the_restricted_mean():
    assert range_verdict(35.0, 2.0, 14, 28) == "longer"      # 35 − 3.92 = 31.08 > 28
    assert range_verdict(30.0, 2.0, 14, 28) == "consistent"  # 26.08 ≤ 28
    assert range_verdict(9.0, 2.0, 14, 28) == "shorter"      # 12.92 < 14
    assert range_verdict(None, 2.0, 14, 28) is None


def test_a_figure_that_is_not_a_finite_number_becomes_null_with_a_reason():
    from apps.cohort.profile import finite, undefined_reasons

    results = {"isr_incidence": float("nan"), "exposed_patients": 0, "eair_per_100py": None,
               "exposure_patient_years": 0, "isr_incidence_ci95": [0.1, float("inf")]}
    reasons = undefined_reasons(results)
    assert results["isr_incidence"] is None and results["isr_incidence_ci95"] is None
    assert reasons == {"isr_incidence": "not a finite number", "isr_incidence_ci95": "not a finite number",
                       "eair_per_100py": "no time at risk"}
    undefined = {}
    assert finite({"km": [[1, float("nan")]]}, undefined, "details") == {"km": [[1, None]]}
    assert undefined == {"details.km[0][1]": "not a finite number"}
