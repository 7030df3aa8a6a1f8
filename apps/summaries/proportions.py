"""A count out of a denominator, with its exact 95% confidence interval."""
from dataclasses import dataclass
from functools import cached_property

from apps.cohort.statistics import clopper_pearson


@dataclass(frozen=True)
class Proportion:
    """k of n; `ci` is the Clopper–Pearson interval from the reports' statistics module."""

    k: int
    n: int
    # True for a row that is its own denominator (e.g. "patients exposed" of the exposed): 100% by
    # construction, so it has no sampling error and shows no interval.
    by_construction: bool = False

    @property
    def share(self):
        return self.k / self.n if self.n else None

    @property
    def percent(self):
        return None if self.share is None else 100 * self.share

    @cached_property
    def ci(self):
        return None if self.by_construction else clopper_pearson(self.k, self.n)

    @property
    def ci_low_percent(self):
        return None if self.ci is None else 100 * self.ci[0]

    @property
    def ci_high_percent(self):
        return None if self.ci is None else 100 * self.ci[1]

    def __str__(self):
        if not self.n:
            return f"{self.k} / 0"
        if self.ci is None:
            return f"{self.k} / {self.n} ({self.percent:.1f}%)"
        return (f"{self.k} / {self.n} ({self.percent:.1f}%, 95% CI "
                f"{self.ci_low_percent:.1f}–{self.ci_high_percent:.1f})")

    def as_json(self) -> dict:
        """The cell as numbers: what the JSON download and the stored figures hold."""
        return {"count": self.k, "denominator": self.n, "share": self.share,
                "ci95": None if self.ci is None else list(self.ci)}

    @classmethod
    def from_json(cls, data: dict) -> "Proportion":
        proportion = cls(data["count"], data["denominator"])
        proportion.__dict__["ci"] = None if data["ci95"] is None else tuple(data["ci95"])  # the cached interval
        return proportion
