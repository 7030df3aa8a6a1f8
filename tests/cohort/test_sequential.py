"""Lan–DeMets spending and group-sequential boundaries against R rpact 3.3.4 and the published table."""
import numpy as np
import pytest
from scipy import stats

from apps.cohort.sequential import (OBRIEN_FLEMING, POCOCK, alpha_spent, binomial_z, monitor, plan_signal,
                                    two_sided_boundaries)


def test_obrien_fleming_five_equal_looks_match_the_published_boundaries():
    # Published (Lan & DeMets 1983; Jennison & Turnbull 2000, table 7.6), two-sided α = 0.05, 5 equally spaced
    # looks: 4.877, 3.357, 2.680, 2.290, 2.031. R rpact 3.3.4:
    # getDesignGroupSequential(kMax = 5, alpha = 0.05, sided = 2, typeOfDesign = "asOF")$criticalValues
    # -> 4.876884949 3.357011922 2.680280067 2.289816774 2.031032048
    bounds = two_sided_boundaries([1, 2, 3, 4, 5])
    assert bounds.critical_values == pytest.approx([4.877, 3.357, 2.680, 2.290, 2.031], abs=5e-4)
    assert bounds.critical_values == pytest.approx(
        [4.876884949, 3.357011922, 2.680280067, 2.289816774, 2.031032048], abs=1e-6)
    # ...$alphaSpent -> 1.077742526e-06 7.883035152e-04 7.616126566e-03 2.442358031e-02 4.999999000e-02
    assert bounds.cumulative_alpha == pytest.approx(
        [1.077742526e-06, 7.883035152e-04, 7.616126566e-03, 2.442358031e-02, 0.05], rel=1e-6)


def test_pocock_type_five_equal_looks_match_rpact():
    # R: getDesignGroupSequential(kMax = 5, alpha = 0.05, sided = 2, typeOfDesign = "asP")
    # $criticalValues -> 2.437976688 2.426813863 2.410193838 2.396645404 2.385984562
    # $alphaSpent -> 0.01476972646 0.02615685800 0.03542565327 0.04324198607 0.05
    bounds = two_sided_boundaries([1, 2, 3, 4, 5], spending=POCOCK)
    assert bounds.critical_values == pytest.approx(
        [2.437976688, 2.426813863, 2.410193838, 2.396645404, 2.385984562], abs=1e-6)
    assert bounds.cumulative_alpha == pytest.approx([0.01476972646, 0.02615685800, 0.03542565327,
                                                     0.04324198607, 0.05], rel=1e-6)


@pytest.mark.parametrize("spending, expected", [
    # R: getDesignGroupSequential(informationRates = c(0.1, 0.25, 0.55, 0.8, 1), alpha = 0.05, sided = 2,
    #    typeOfDesign = "asOF")$criticalValues
    (OBRIEN_FLEMING, [6.991351707, 4.332644157, 2.806279428, 2.275998481, 2.029212929]),
    # ... typeOfDesign = "asP")$criticalValues
    (POCOCK, [2.655110048, 2.524754889, 2.343006559, 2.357850961, 2.377771981]),
])
def test_unequally_spaced_looks_match_rpact(spending, expected):
    bounds = two_sided_boundaries([10, 25, 55, 80, 100], spending=spending)
    assert bounds.critical_values == pytest.approx(expected, abs=2e-5)


def test_spending_functions_match_their_closed_forms_at_the_ends():
    # O'Brien–Fleming type: 4 − 4Φ(z_{0.0125} / √t); at t = 0.2 rpact spends 1.077742526e-06 (above).
    assert alpha_spent(0.2, 0.05) == pytest.approx(1.077742526e-06, rel=1e-8)
    assert alpha_spent(1, 0.05) == pytest.approx(0.05)
    assert alpha_spent(1.7, 0.05, POCOCK) == pytest.approx(0.05)  # fractions are capped at 1
    assert alpha_spent(0, 0.05) == 0
    with pytest.raises(ValueError, match="Unknown spending type"):
        alpha_spent(0.5, 0.05, "haybittle")


def test_looks_past_the_maximum_cannot_signal():
    # Information 60 of a planned 50: the fraction stays 1, all α is spent, no critical value.
    bounds = two_sided_boundaries([10, 20, 30, 40, 50, 60], maximum_information=50)
    assert bounds.critical_values[:5] == pytest.approx([4.877, 3.357, 2.680, 2.290, 2.031], abs=5e-4)
    assert bounds.critical_values[5] == float("inf")
    with pytest.raises(ValueError, match="strictly increasing"):
        two_sided_boundaries([10, 10])


def test_binomial_z_by_hand():
    # (900 − 1399 × 0.644) / √(1399 × 0.644 × 0.356) = (900 − 900.956) / 17.9097 = −0.05338
    assert binomial_z(900, 1399, 0.644) == pytest.approx(-0.05338, abs=5e-5)
    assert binomial_z(3, 0, 0.5) is None and binomial_z(3, 5, 1.0) is None


def test_monitor_skips_looks_without_new_patients_and_keeps_the_first_crossing():
    counts = [(100, 64, 0.2), (100, 70, 0.2), (200, 140, 0.4), (300, 230, 0.6), (400, 300, 0.8)]
    looks = monitor(counts, p0=0.644)
    assert [look.n for look in looks] == [100, 200, 300, 400]  # the second look added no patient
    # Four looks at fractions 0.2, 0.4, 0.6, 0.8 of an O'Brien–Fleming plan: the first four of the five
    # published boundaries.
    assert [look.critical_value for look in looks] == pytest.approx([4.877, 3.357, 2.680, 2.290], abs=5e-4)
    # z at 300: (230 − 193.2) / √(300 × 0.644 × 0.356) = 36.8 / 8.2942 = 4.437 > 2.680: "higher".
    assert looks[2].z == pytest.approx(4.437, abs=1e-3) and looks[2].signal == "higher"
    assert plan_signal(looks) == "higher"
    assert plan_signal(looks[:2]) == "none"


def _simulate(true_p, p0=0.644, histories=2000, looks=24, per_month=40, alpha=0.05, seed=20261201):
    """Histories of 24 monthly looks at a horizon cohort growing by `per_month` (N_max = the 24th look):
    the share of histories in which the plan signals higher / lower, and in which nominal testing of each
    look at α (exact binomial p < α) ever fires."""
    rng = np.random.default_rng(seed)
    n = per_month * np.arange(1, looks + 1)
    x = np.cumsum(rng.binomial(per_month, true_p, size=(histories, looks)), axis=1)
    z = binomial_z(x, n, p0)
    c = np.array(two_sided_boundaries(list(n), alpha).critical_values)
    higher = (z >= c).any(axis=1)
    lower = (z <= -c).any(axis=1)
    # Exact two-sided binomial p-value at each look (R binom.test): vectorised over histories by scipy.
    nominal = np.zeros(histories, dtype=bool)
    for k in range(looks):
        counts = np.arange(n[k] + 1)
        pmf = stats.binom.pmf(counts, n[k], p0)
        p_values = np.array([pmf[pmf <= pmf[i] * (1 + 1e-7)].sum() for i in range(n[k] + 1)])
        nominal |= p_values[x[:, k]] < alpha
    return higher.mean(), lower.mean(), nominal.mean()


def test_simulated_false_alarms_stay_within_alpha_and_a_true_excess_is_found():
    histories = 2000
    higher, lower, nominal = _simulate(0.644, histories=histories)
    false_alarm = higher + lower
    mc_se = (0.05 * 0.95 / histories) ** 0.5
    print(f"\ntrue 64.4%: plan false alarms {false_alarm:.3f} (limit {0.05 + 3 * mc_se:.3f}); "
          f"nominal per-look testing {nominal:.3f}")
    assert false_alarm <= 0.05 + 3 * mc_se
    higher_75, lower_75, nominal_75 = _simulate(0.75, histories=histories)
    print(f"true 75%: plan signals higher in {higher_75:.3f}, lower in {lower_75:.3f}; nominal {nominal_75:.3f}")
    assert higher_75 > 0.5 and lower_75 == 0
