"""Geometry of the dashboard's inline SVG charts: server-side numbers, no JavaScript."""
from dataclasses import dataclass

from django.utils.dateformat import format as date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

BAR_CHART_WIDTH = 640
BAR_CHART_HEIGHT = 180
BAR_AREA_TOP = 18
BAR_AREA_BOTTOM = 150


@dataclass
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str
    value: int
    title: str
    label_x: float


def monthly_bars(series):
    """Bars for [(month, reactions, patients)], scaled to the largest month."""
    if not series:
        return {"bars": [], "max": 0, "width": BAR_CHART_WIDTH, "height": BAR_CHART_HEIGHT, "total": 0}
    peak = max(reactions for _, reactions, _ in series) or 1
    slot = BAR_CHART_WIDTH / len(series)
    area = BAR_AREA_BOTTOM - BAR_AREA_TOP
    bars = []
    for index, (month, reactions, patients) in enumerate(series):
        height = area * reactions / peak
        bars.append(Bar(x=round(index * slot + slot * 0.15, 1), y=round(BAR_AREA_BOTTOM - height, 1),
                        width=round(slot * 0.7, 1), height=round(height, 1), label=date_format(month, "M Y"),
                        value=reactions, label_x=round(index * slot + slot / 2, 1),
                        title=ngettext("%(month)s: %(reactions)d reaction in %(patients)d patient(s)",
                                       "%(month)s: %(reactions)d reactions in %(patients)d patient(s)", reactions)
                        % {"month": date_format(month, "F Y"), "reactions": reactions, "patients": patients}))
    return {"bars": bars, "max": peak, "width": BAR_CHART_WIDTH, "height": BAR_CHART_HEIGHT,
            "baseline": BAR_AREA_BOTTOM, "total": sum(reactions for _, reactions, _ in series)}


STRIP_WIDTH = 400
STRIP_LEFT = 10
STRIP_RIGHT = 390


def _x(value, scale_max):
    value = min(max(value, 0), scale_max)
    return round(STRIP_LEFT + (STRIP_RIGHT - STRIP_LEFT) * value / scale_max, 1)


def share_strip(observed, ci, reference):
    """A 0–100% strip: the observed share with its CI whisker and the reference as a tick."""
    if observed is None:
        return None
    strip = {"width": STRIP_WIDTH, "point": _x(observed, 1), "ticks": [(_x(t / 4, 1), f"{25 * t}%") for t in range(5)]}
    if ci:
        strip["ci"] = (_x(ci[0], 1), _x(ci[1], 1))
    if reference is not None:
        strip["reference"] = _x(reference, 1)
    return strip


def duration_strip(median, reference_range):
    """Days on a strip: the reference range shaded, the observed median as a point."""
    if median is None and not reference_range:
        return None
    top = max([60, *(reference_range or []), (median or 0) * 1.2])
    strip = {"width": STRIP_WIDTH, "ticks": [(_x(top * t / 4, top), _("%(days)s d") % {"days": f"{top * t / 4:.0f}"}) for t in range(5)]}
    if median is not None:
        strip["point"] = _x(median, top)
    if reference_range:
        low, high = _x(reference_range[0], top), _x(reference_range[1], top)
        strip["band"] = (low, round(high - low, 1))
    return strip
