"""Exact statistics for the ISR profile: pure functions of counts and arrays.

Each function matches a published reference implementation (R's binom.test, poisson.test
and survival::survfit), which is what the tests check them against.
"""
from collections import defaultdict

from scipy import stats


def clopper_pearson(k, n, confidence=0.95):
    """Exact (Clopper–Pearson) interval of a binomial proportion k/n, as in R binom.test."""
    if not n:
        return None
    alpha = 1 - confidence
    low = 0.0 if k == 0 else float(stats.beta.ppf(alpha / 2, k, n - k + 1))
    high = 1.0 if k == n else float(stats.beta.ppf(1 - alpha / 2, k + 1, n - k))
    return low, high


def binomial_test_p(k, n, p):
    """Exact two-sided binomial test of k successes in n against p (scipy binomtest = R binom.test)."""
    if not n or p is None:
        return None
    return float(stats.binomtest(int(k), int(n), float(p), alternative="two-sided").pvalue)


def poisson_rate_ci(events, exposure, confidence=0.95):
    """Exact Poisson interval of the rate events/exposure, chi-square form (R poisson.test)."""
    if not exposure:
        return None
    alpha = 1 - confidence
    low = 0.0 if events == 0 else float(stats.chi2.ppf(alpha / 2, 2 * events)) / 2
    high = float(stats.chi2.ppf(1 - alpha / 2, 2 * (events + 1))) / 2
    return low / exposure, high / exposure


def kaplan_meier(durations, observed, counts=None):
    """Product-limit survival estimate: [(t, S(t))] at each time with at least one event.

    `counts` lets callers pass grouped data (duration, observed, how many) straight from a
    GROUP BY, so that memory does not grow with the number of reactions. Censored times tied
    with event times stay at risk at that time, as in survival::survfit.
    """
    if counts is None:
        counts = [1] * len(durations)
    events = defaultdict(int)
    exits = defaultdict(int)
    for t, event, count in zip(durations, observed, counts):
        exits[t] += count
        if event:
            events[t] += count
    at_risk = sum(exits.values())
    survival = 1.0
    curve = []
    for t in sorted(exits):
        if events[t]:
            survival *= 1 - events[t] / at_risk
            curve.append((t, survival))
        at_risk -= exits[t]
    return curve


def km_median(durations, observed, counts=None):
    """Smallest time at which the Kaplan–Meier survival reaches 0.5 or below; None if it never does."""
    for t, survival in kaplan_meier(durations, observed, counts):
        if survival <= 0.5 + 1e-12:
            return t
    return None


def verdict(p_value, observed, reference, alpha=0.05):
    """Plain-language reading of a test against the reference value."""
    if p_value is None or observed is None or reference is None:
        return None
    if p_value >= alpha:
        return "consistent"
    return "higher" if observed > reference else "lower"
