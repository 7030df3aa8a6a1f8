"""What a figure covers: the one scope type of reports, summaries and the dashboard."""
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from apps.accounts.models import Site
from apps.products.models import Product


@dataclass(frozen=True)
class Scope:
    """One product up to an as-of date, optionally narrowed to a site, a dose and an exposure start range.

    The site narrows patients; dose and start range narrow exposure periods (and, through them,
    the reactions attributed to those periods: see rules.counted_reactions)."""

    product: Product
    as_of: date
    site: Site | None = None
    dose_mg_per_day: Decimal | None = None
    exposure_start_from: date | None = None
    exposure_start_to: date | None = None

    @property
    def site_id(self):
        return None if self.site is None else self.site.pk

    @property
    def narrows_periods(self) -> bool:
        """True when only some periods of an exposed patient are selected (dose or start range)."""
        return self.dose_mg_per_day is not None or self.exposure_start_from is not None \
            or self.exposure_start_to is not None

    @property
    def risk_window_days(self) -> int:
        """The product's risk window W: how long after an exposure period a reaction is still attributable."""
        return self.product.risk_window_days

    def canonical(self) -> dict:
        """The scope as plain JSON values: equal dicts mean the same cohort (W included: it decides which
        reactions count)."""
        return {
            "product": self.product.code, "as_of": self.as_of.isoformat(), "site_id": self.site_id,
            "risk_window_days": self.risk_window_days,
            "dose_mg_per_day": None if self.dose_mg_per_day is None else str(Decimal(self.dose_mg_per_day).normalize()),
            "exposure_start_from": self.exposure_start_from and self.exposure_start_from.isoformat(),
            "exposure_start_to": self.exposure_start_to and self.exposure_start_to.isoformat(),
        }

    def cache_key(self) -> str:
        return ":".join(str(value) for value in self.canonical().values())
