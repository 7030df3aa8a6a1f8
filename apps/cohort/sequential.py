"""Group-sequential monitoring: Lan–DeMets alpha spending and two-sided boundaries.

Each monthly report is a look at cumulative data. Testing every look at the nominal α makes a false
alarm over many looks almost certain; spending α over the information fraction t (Lan & DeMets 1983)
keeps the overall two-sided error at α whatever the number and timing of the looks. The critical
value of a look follows from the spending function and the earlier looks by the recursive
numerical integration of Armitage, McPherson and Rowe (1969), as in R rpact and gsDesign.
"""
from dataclasses import dataclass
from math import e, log, sqrt

import numpy as np
from scipy import optimize, stats

OBRIEN_FLEMING = "obrien_fleming"
POCOCK = "pocock"
SPENDING_TYPES = (OBRIEN_FLEMING, POCOCK)

# Integration grid: points per standard deviation of the score and the range kept (beyond 10 SD the
# density is below 1e-22). 24 points per SD with Simpson's rule reproduce rpact to 1e-6.
_POINTS_PER_SD = 24
_MAX_SD = 10.0


def alpha_spent(t: float, alpha: float, spending: str = OBRIEN_FLEMING) -> float:
    """Cumulative two-sided α spent at information fraction t (Lan–DeMets).

    O'Brien–Fleming type: 4 − 4 Φ(z_{1−α/4} / √t) (α/2 on each side, as rpact's "asOF" and gsDesign's
    sfLDOF with two-sided symmetric bounds); Pocock type: α log(1 + (e − 1) t)."""
    if t <= 0:
        return 0.0
    t = min(t, 1.0)
    if spending == OBRIEN_FLEMING:
        return float(4 * stats.norm.sf(stats.norm.isf(alpha / 4) / sqrt(t)))
    if spending == POCOCK:
        return alpha * log(1 + (e - 1) * t)
    raise ValueError(f"Unknown spending type {spending!r}; expected one of {', '.join(SPENDING_TYPES)}.")


def _simpson_grid(half_width: float, sd: float):
    """Points and Simpson weights on [−half_width, half_width], about _POINTS_PER_SD per sd."""
    intervals = max(2, int(np.ceil(2 * half_width / sd * _POINTS_PER_SD)))
    intervals += intervals % 2
    points = np.linspace(-half_width, half_width, intervals + 1)
    weights = np.ones(intervals + 1)
    weights[1:-1:2], weights[2:-1:2] = 4, 2
    return points, weights * (points[1] - points[0]) / 3


@dataclass
class Boundaries:
    """Two-sided critical values c_k (|z_k| ≥ c_k signals) and the cumulative α spent at each look."""
    critical_values: list[float]
    cumulative_alpha: list[float]


def two_sided_boundaries(information: list[float], alpha: float = 0.05, spending: str = OBRIEN_FLEMING,
                         maximum_information: float | None = None, fractions: list[float] | None = None) -> Boundaries:
    """Critical values for looks at the given (strictly increasing) information levels.

    The information fraction of look k is t_k = min(1, I_k / I_max) (I_max defaults to the last
    look's) unless `fractions` gives them. Z_k are the standardised cumulative statistics, with
    corr(Z_j, Z_k) = √(I_j / I_k). A look that adds no fraction (t already 1) gets an infinite
    critical value: it cannot signal.
    """
    if not information:
        return Boundaries([], [])
    levels = [float(i) for i in information]
    if levels[0] <= 0 or any(b <= a for a, b in zip(levels, levels[1:])):
        raise ValueError("Information levels must be positive and strictly increasing.")
    maximum = float(maximum_information or levels[-1])
    fractions = [min(1.0, t) for t in (fractions or [level / maximum for level in levels])]
    cumulative = [alpha_spent(t, alpha, spending) for t in fractions]
    critical, spent_before = [], 0.0
    # The density of the score S_k = Z_k √I_k on the continuation region |Z_k| < c_k is kept as the
    # weighted points of the previous look convolved with the step's normal kernel; it is evaluated on
    # a grid fine enough for both the step that made it and the next one.
    points = weighted = None
    step_sd = previous_level = previous_bound = None
    for k, (level, spent) in enumerate(zip(levels, cumulative)):
        next_sd = sqrt(level - (previous_level or 0.0))
        if points is None:
            def crossing(c):
                return 2 * float(stats.norm.sf(c))
        else:
            grid, grid_weights = _simpson_grid(previous_bound, min(step_sd, next_sd))
            grid_weighted = grid_weights * _density(grid, points, weighted, step_sd)

            def crossing(c, _p=grid, _w=grid_weighted, _sd=next_sd, _root=sqrt(level)):
                bound = c * _root
                return float(np.sum(_w * (stats.norm.cdf((-bound - _p) / _sd) + stats.norm.sf((bound - _p) / _sd))))
            points, weighted = grid, grid_weighted
        target = spent - spent_before
        no_new_fraction = k > 0 and fractions[k] <= fractions[k - 1]
        c = float("inf") if target <= 0 or no_new_fraction else float(
            optimize.brentq(lambda x: crossing(x) - target, 0.0, 40.0, xtol=1e-12))
        critical.append(c)
        if points is None:  # the first look: S_1 ~ N(0, I_1), a point mass at 0 convolved with N(0, I_1)
            points, weighted = np.zeros(1), np.ones(1)
        spent_before += crossing(c) if np.isfinite(c) else 0.0
        step_sd, previous_level, previous_bound = next_sd, level, min(c, _MAX_SD) * sqrt(level)
    return Boundaries(critical, cumulative)


def _density(at, points, weighted, sd):
    """Σ_j w_j f(u_j) φ((s − u_j) / sd) / sd at each s of `at`."""
    return (stats.norm.pdf((at[:, None] - points[None, :]) / sd) / sd) @ weighted


def binomial_z(x: int, n: int, p0: float) -> float | None:
    """Standardised count of x successes in n against p0: (x − n p0) / √(n p0 (1 − p0)).

    Works on numpy arrays too (the simulation test passes a whole set of histories)."""
    if p0 is None or not 0 < p0 < 1 or (np.ndim(n) == 0 and not n):
        return None
    z = (x - np.multiply(n, p0)) / np.sqrt(np.multiply(n, p0 * (1 - p0)))
    return float(z) if np.ndim(z) == 0 else z


def signal_of(z: float | None, critical_value: float) -> str:
    """'higher' / 'lower' when z crosses ± the boundary, else 'none'."""
    if z is None or not np.isfinite(critical_value):
        return "none"
    if z >= critical_value:
        return "higher"
    if z <= -critical_value:
        return "lower"
    return "none"


@dataclass
class Look:
    """One tested look: cumulative n and x, information fraction, z, critical value, α spent so far."""
    n: int
    x: int
    information_fraction: float
    z: float
    critical_value: float | None  # None: the plan's α is spent (t = 1 reached earlier), no test
    cumulative_alpha_spent: float
    signal: str


def monitor(counts: list[tuple[int, int, float]], p0: float, alpha: float = 0.05,
            spending: str = OBRIEN_FLEMING) -> list[Look]:
    """The tested looks of a plan from each look's cumulative (n, x, information fraction), in order.

    A look whose n does not exceed the last tested look's (no new patients) is skipped. z is the
    binomial z of x in n against p0; the critical value comes from the fractions and the n so far."""
    kept = []
    for n, x, fraction in counts:
        if n > (kept[-1][0] if kept else 0):
            kept.append((n, x, fraction))
    if not kept or p0 is None or not 0 < p0 < 1:
        return []
    bounds = two_sided_boundaries([n for n, _, _ in kept], alpha, spending,
                                  fractions=[max(t, 1e-12) for _, _, t in kept])
    looks = []
    for (n, x, fraction), c, spent in zip(kept, bounds.critical_values, bounds.cumulative_alpha):
        z = binomial_z(x, n, p0)
        looks.append(Look(n=n, x=x, information_fraction=min(1.0, fraction), z=z,
                          critical_value=c if np.isfinite(c) else None, cumulative_alpha_spent=spent,
                          signal=signal_of(z, c)))
    return looks


def plan_signal(looks: list[Look]) -> str:
    """The plan's signal so far: the direction of the first boundary crossing, 'none' without one.
    Monitoring stops at a crossing, so later looks do not change it."""
    return next((look.signal for look in looks if look.signal != "none"), "none")
