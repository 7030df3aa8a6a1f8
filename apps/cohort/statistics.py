"""Exact statistics for the ISR profile: pure functions of counts and arrays.

Each function matches a published reference implementation (R's binom.test, poisson.test
and survival::survfit), which is what the tests check them against.
"""
import math
from collections import defaultdict

from django.utils.translation import gettext_noop


def _stats():
    """scipy.stats, imported on first use: commands that never compute a figure (the CSV import) start
    without loading scipy and numpy."""
    from scipy import stats

    return stats


def clopper_pearson(k, n, confidence=0.95):
    """Exact (Clopper–Pearson) interval of a binomial proportion k/n, as in R binom.test."""
    if not n:
        return None
    alpha = 1 - confidence
    low = 0.0 if k == 0 else float(_stats().beta.ppf(alpha / 2, k, n - k + 1))
    high = 1.0 if k == n else float(_stats().beta.ppf(1 - alpha / 2, k + 1, n - k))
    return low, high


def binomial_test_p(k, n, p):
    """Exact two-sided binomial test of k successes in n against p (scipy binomtest = R binom.test)."""
    if not n or p is None:
        return None
    return float(_stats().binomtest(int(k), int(n), float(p), alternative="two-sided").pvalue)


def poisson_rate_ci(events, exposure, confidence=0.95):
    """Exact Poisson interval of the rate events/exposure, chi-square form (R poisson.test)."""
    if not exposure:
        return None
    alpha = 1 - confidence
    low = 0.0 if events == 0 else float(_stats().chi2.ppf(alpha / 2, 2 * events)) / 2
    high = float(_stats().chi2.ppf(1 - alpha / 2, 2 * (events + 1))) / 2
    return low / exposure, high / exposure


def _risk_table(durations, observed, counts=None):
    """[(t, at risk, events)] at each distinct time, sorted; censored times tied with events stay at risk."""
    if counts is None:
        counts = [1] * len(durations)
    events = defaultdict(int)
    exits = defaultdict(int)
    for t, event, count in zip(durations, observed, counts):
        exits[t] += count
        if event:
            events[t] += count
    at_risk = sum(exits.values())
    table = []
    for t in sorted(exits):
        table.append((t, at_risk, events[t]))
        at_risk -= exits[t]
    return table


def kaplan_meier(durations, observed, counts=None):
    """Product-limit survival estimate: [(t, S(t))] at each time with at least one event.

    `counts` lets callers pass grouped data (duration, observed, how many) straight from a
    GROUP BY, so that memory does not grow with the number of reactions. Censored times tied
    with event times stay at risk at that time, as in survival::survfit.
    """
    survival, curve = 1.0, []
    for t, at_risk, events in _risk_table(durations, observed, counts):
        if events:
            survival *= 1 - events / at_risk
            curve.append((t, survival))
    return curve


_TOLERANCE = 2.0 ** -26  # sqrt(.Machine$double.eps), the tolerance of survfit's median


def km_median(durations, observed, counts=None):
    """The median survival time as R's print(survfit(...)) gives it; None if S(t) never reaches 0.5.

    The smallest t with S(t) ≤ 0.5; when S equals 0.5 exactly on [t1, t2) and drops below later,
    the midpoint (t1 + t2) / 2 (R survival's survmean; durations 1, 2, 3, 4 give 2.5)."""
    curve = kaplan_meier(durations, observed, counts)
    for index, (t, survival) in enumerate(curve):
        if survival < 0.5 + _TOLERANCE:
            if abs(survival - 0.5) < _TOLERANCE:
                later = [u for u, s in curve[index + 1:] if s < survival]
                if later:
                    return (t + later[0]) / 2
            return t
    return None


def km_restricted_mean(durations, observed, counts=None, tau=365):
    """(restricted mean, its standard error): the area under the Kaplan–Meier curve from 0 to tau,
    as R print(survfit(...), rmean = tau) gives them (survival's survmean). None without data.

    The variance is Σ_i A_i² d_i / (n_i (n_i − d_i)) over event times t_i ≤ tau, A_i the area under
    the curve from t_i to tau (a term with n_i = d_i counts 0, as in R)."""
    if not durations:
        return None
    table = [row for row in _risk_table(durations, observed, counts) if row[0] <= tau]
    times, survivals, hazards = [], [], []
    survival = 1.0
    for t, at_risk, events in table:
        if events:
            survival *= 1 - events / at_risk
        times.append(t)
        survivals.append(survival)
        hazards.append(events / (at_risk * (at_risk - events)) if at_risk > events else 0.0)
    edges = [0, *times, tau]
    heights = [1.0, *survivals]
    rectangles = [(edges[i + 1] - edges[i]) * heights[i] for i in range(len(heights))]
    mean = sum(rectangles)
    variance, area_after = 0.0, 0.0
    for i in range(len(times) - 1, -1, -1):
        area_after += rectangles[i + 1]
        variance += area_after ** 2 * hazards[i]
    return mean, variance ** 0.5


def km_survival_at(durations, observed, counts=None, time=None, confidence=0.95):
    """(S(time), lower, upper) as R summary(survfit(...), times = time) gives them with its default
    conf.type = "log": exp(log S ± z · se), se² = Σ d / (n (n − d)) over event times ≤ time, the
    upper end capped at 1. None beyond the last observed time (R refuses it without extend = TRUE);
    the interval is None when S = 0 (R gives NA)."""
    table = _risk_table(durations, observed, counts)
    if not table or time > table[-1][0]:
        return None
    survival, cumulative_hazard_variance = 1.0, 0.0
    for t, at_risk, events in table:
        if t > time:
            break
        if events:
            survival *= 1 - events / at_risk
            cumulative_hazard_variance += (events / (at_risk * (at_risk - events)) if at_risk > events
                                           else float("inf"))
    if survival == 0:
        return 0.0, None, None
    z = float(_stats().norm.isf((1 - confidence) / 2))
    spread = z * cumulative_hazard_variance ** 0.5
    return survival, survival * math.exp(-spread), min(1.0, survival * math.exp(spread))


def cumulative_incidence_at(durations, observed, counts=None, time=None, confidence=0.95):
    """(1 − S(time), lower, upper) from km_survival_at: the interval is 1 minus its ends."""
    at = km_survival_at(durations, observed, counts, time=time, confidence=confidence)
    if at is None:
        return None
    survival, low, high = at
    if low is None:
        return 1 - survival, None, None
    return 1 - survival, 1 - high, 1 - low


def range_verdict(estimate, se, low, high, z=1.96):
    """An estimate with its standard error against a reference range [low, high]: "longer" when the
    estimate − z·se is above high, "shorter" when the estimate + z·se is below low, else "consistent"."""
    if estimate is None or se is None or low is None or high is None:
        return None
    if estimate - z * se > high:
        return gettext_noop("longer")
    if estimate + z * se < low:
        return gettext_noop("shorter")
    return gettext_noop("consistent")


def verdict(p_value, observed, reference, alpha=0.05):
    """Plain-language reading of a test against the reference value."""
    if p_value is None or observed is None or reference is None:
        return None
    if p_value >= alpha:
        return gettext_noop("consistent")
    return gettext_noop("higher") if observed > reference else gettext_noop("lower")
