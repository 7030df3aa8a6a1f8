"""Server-rendered inline SVG charts of a report: no JavaScript, no CDN, works offline.

Each function takes the snapshot's stored series and returns safe SVG markup; all text
goes through `escape`, numbers are formatted by us. The charts are drawn when the page is shown, from the
stored series, so their texts are in the reader's language (gettext); nothing of them is stored or exported.
"""
from django.utils.html import escape
from django.utils.translation import gettext as _
from django.utils.safestring import mark_safe

WIDTH, HEIGHT = 640, 300
LEFT, RIGHT, TOP, BOTTOM = 56, 28, 16, 44  # room for a centred last x label
LINE = "#0d6efd"
BAND = "#9ec5fe"
REFERENCE = "#dc3545"
MUTED = "#6c757d"


class Plot:
    """Linear x/y scales over the drawing area, and the SVG pieces the charts share."""

    def __init__(self, title, x_max, y_max=1.0, x_min=0.0, y_min=0.0):
        self.title = title
        self.x_min, self.x_max = x_min, x_max if x_max > x_min else x_min + 1
        self.y_min, self.y_max = y_min, y_max if y_max > y_min else y_min + 1
        self.parts = []

    def x(self, value):
        return LEFT + (value - self.x_min) / (self.x_max - self.x_min) * (WIDTH - LEFT - RIGHT)

    def y(self, value):
        return HEIGHT - BOTTOM - (value - self.y_min) / (self.y_max - self.y_min) * (HEIGHT - TOP - BOTTOM)

    def add(self, markup):
        self.parts.append(markup)

    def axes(self, x_ticks, y_ticks, x_label, y_label):
        """x_ticks / y_ticks: [(value, label)]."""
        base = HEIGHT - BOTTOM
        self.add(f'<line x1="{LEFT}" y1="{base}" x2="{WIDTH - RIGHT}" y2="{base}" stroke="{MUTED}"/>')
        self.add(f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{base}" stroke="{MUTED}"/>')
        for value, label in x_ticks:
            x = self.x(value)
            self.add(f'<line x1="{x:.1f}" y1="{base}" x2="{x:.1f}" y2="{base + 4}" stroke="{MUTED}"/>'
                     f'<text x="{x:.1f}" y="{base + 16}" font-size="10" text-anchor="middle">{escape(label)}</text>')
        for value, label in y_ticks:
            y = self.y(value)
            self.add(f'<line x1="{LEFT - 4}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" stroke="#dee2e6"/>'
                     f'<text x="{LEFT - 6}" y="{y + 3:.1f}" font-size="10" text-anchor="end">{escape(label)}</text>')
        self.add(f'<text x="{(LEFT + WIDTH - RIGHT) / 2:.1f}" y="{HEIGHT - 6}" font-size="11" '
                 f'text-anchor="middle">{escape(x_label)}</text>')
        self.add(f'<text x="12" y="{(TOP + HEIGHT - BOTTOM) / 2:.1f}" font-size="11" text-anchor="middle" '
                 f'transform="rotate(-90 12 {(TOP + HEIGHT - BOTTOM) / 2:.1f})">{escape(y_label)}</text>')

    def polyline(self, points, color=LINE, dash=None, width=2):
        if not points:
            return
        coords = " ".join(f"{self.x(x):.1f},{self.y(y):.1f}" for x, y in points)
        dashed = f' stroke-dasharray="{dash}"' if dash else ""
        self.add(f'<polyline points="{coords}" fill="none" stroke="{color}" stroke-width="{width}"{dashed}/>')

    def polygon(self, points, color=BAND, opacity=0.5):
        if not points:
            return
        coords = " ".join(f"{self.x(x):.1f},{self.y(y):.1f}" for x, y in points)
        self.add(f'<polygon points="{coords}" fill="{color}" fill-opacity="{opacity}" stroke="none"/>')

    def legend(self, entries):
        """entries: [(color, label, dash)] drawn top-right."""
        for index, (color, label, dash) in enumerate(entries):
            y = TOP + 8 + index * 14
            x = WIDTH - RIGHT - 170
            dashed = f' stroke-dasharray="{dash}"' if dash else ""
            self.add(f'<line x1="{x}" y1="{y}" x2="{x + 18}" y2="{y}" stroke="{color}" stroke-width="2"{dashed}/>'
                     f'<text x="{x + 24}" y="{y + 3}" font-size="10">{escape(label)}</text>')

    def render(self, description):
        return mark_safe(
            f'<svg class="pv-chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
            f'width="100%" role="img" aria-label="{escape(self.title)}"><title>{escape(self.title)}</title>'
            f'<desc>{escape(description)}</desc>{"".join(self.parts)}</svg>')


def _share_ticks():
    return [(v / 4, f"{v * 25}%") for v in range(5)]


def _day_ticks(x_max):
    step = next(s for s in (7, 14, 30, 60, 90, 180, 365, 730, 1825, 10 ** 9) if x_max / s <= 8)
    return [(d, str(d)) for d in range(0, int(x_max) + 1, step)]


def _steps(curve, x_max, start=1.0, transform=lambda s: s):
    """A Kaplan–Meier step line from (0, start) through each (t, S(t)) to x_max."""
    points, level = [(0, transform(start))], transform(start)
    for t, survival in curve:
        points.append((t, level))
        level = transform(survival)
        points.append((t, level))
    points.append((x_max, level))
    return points


def empty(title, message=None):
    message = message or _("No data for this chart.")
    plot = Plot(title, 1)
    plot.add(f'<text x="{WIDTH / 2}" y="{HEIGHT / 2}" text-anchor="middle" fill="{MUTED}">{escape(message)}</text>')
    return plot.render(message)


def cumulative_incidence(monthly, reference):
    title = _("Cumulative ISR incidence by month")
    if not monthly:
        return empty(title)
    plot = Plot(title, max(len(monthly) - 1, 1))
    every = max(1, len(monthly) // 8)
    plot.axes([(i, point["month"]) for i, point in enumerate(monthly) if i % every == 0], _share_ticks(),
              _("Month (cumulative to its end)"), _("Patients with an ISR"))
    upper = [(i, p["ci95"][1]) for i, p in enumerate(monthly) if p["ci95"]]
    lower = [(i, p["ci95"][0]) for i, p in enumerate(monthly) if p["ci95"]]
    plot.polygon(upper + lower[::-1])
    plot.polyline([(i, p["incidence"]) for i, p in enumerate(monthly) if p["incidence"] is not None])
    entries = [(LINE, _("Observed (band: 95% CI)"), None)]
    if reference is not None:
        plot.polyline([(0, reference), (plot.x_max, reference)], REFERENCE, dash="6 4")
        entries.append((REFERENCE, _("Reference %(share)s") % {"share": f"{reference:.1%}"}, "6 4"))
    plot.legend(entries)
    last = monthly[-1]
    return plot.render(_("Cumulative incidence %(with_isr)s of %(exposed)s patients by %(month)s.")
                       % {"with_isr": last["with_isr"], "exposed": last["exposed"], "month": last["month"]})


def duration_km(curve, max_days, reference_range):
    title = _("ISR duration (Kaplan–Meier: share still ongoing)")
    if not curve and not max_days:
        return empty(title)
    # Up to a little past the last event (and the reference range): long censored tails add nothing.
    last_event = curve[-1][0] if curve else max_days
    x_max = max(min(max_days, int(last_event * 1.2) + 1), (reference_range or [0, 0])[1] + 7, 1)
    plot = Plot(title, x_max)
    if reference_range:
        low, high = reference_range
        plot.polygon([(low, 0), (high, 0), (high, 1), (low, 1)], "#f8d7da", 0.6)
    plot.axes([(d, label) for d, label in _day_ticks(x_max)], _share_ticks(), _("Days since onset"),
              _("Reactions not yet resolved"))
    plot.polyline([(0, 0.5), (x_max, 0.5)], MUTED, dash="2 3", width=1)
    plot.polyline(_steps(curve, x_max))
    entries = [(LINE, _("Kaplan–Meier estimate"), None)]
    if reference_range:
        entries.append(("#f1aeb5", _("Reference %(low)s–%(high)s days") % {"low": reference_range[0],
                                                                              "high": reference_range[1]}, None))
    plot.legend(entries)
    return plot.render(_("Share of reactions still ongoing by days since onset; ongoing ones are censored."))


def time_to_first_isr(curve, max_days):
    title = _("Time to first ISR (cumulative share of patients)")
    if not max_days:
        return empty(title)
    last_event = curve[-1][0] if curve else max_days
    max_days = max(min(max_days, int(last_event * 1.2) + 1), 1)
    plot = Plot(title, max_days)
    plot.axes(_day_ticks(max_days), _share_ticks(), _("Days since first exposure"),
              _("Patients with a first ISR"))
    plot.polyline(_steps(curve, max_days, transform=lambda s: 1 - s))
    plot.legend([(LINE, _("1 − Kaplan–Meier"), None)])
    return plot.render(_("Cumulative share of exposed patients with a first ISR; others censored at their last "
                         "exposure day plus the risk window (at most the as-of date)."))


SEVERITY_COLORS = {"mild": "#0dcaf0", "moderate": "#ffc107", "severe": "#dc3545"}


def _severity_label(value):
    """The stored series keys severities by value (mild, moderate, severe): shown as the choice's label."""
    from apps.reactions.choices import Severity
    return str(Severity(value).label) if value in Severity.values else value


def severity_distribution(counts):
    title = _("Severity of counted reactions")
    order = list(SEVERITY_COLORS)  # mild, moderate, severe (jsonb does not keep the stored order)
    counts = dict(sorted(counts.items(), key=lambda item: order.index(item[0]) if item[0] in order else len(order)))
    total = sum(counts.values())
    if not total:
        return empty(title, _("No reactions counted."))
    top = max(counts.values())
    plot = Plot(title, len(counts), y_max=top)
    step = max(1, -(-top // 5))
    plot.axes([], [(v, str(v)) for v in range(0, top + 1, step)], _("Severity"), _("Reactions"))
    slot = (WIDTH - LEFT - RIGHT) / len(counts)
    for index, (severity, count) in enumerate(counts.items()):
        x = LEFT + index * slot + slot * 0.2
        y = plot.y(count)
        plot.add(f'<rect x="{x:.1f}" y="{y:.1f}" width="{slot * 0.6:.1f}" height="{HEIGHT - BOTTOM - y:.1f}" '
                 f'fill="{SEVERITY_COLORS.get(severity, LINE)}"/>'
                 f'<text x="{x + slot * 0.3:.1f}" y="{y - 4:.1f}" font-size="11" text-anchor="middle">'
                 f'{count} ({count / total:.0%})</text>'
                 f'<text x="{x + slot * 0.3:.1f}" y="{HEIGHT - BOTTOM + 16}" font-size="11" text-anchor="middle">'
                 f'{escape(_severity_label(severity))}</text>')
    return plot.render(", ".join(f"{_severity_label(k)}: {v}" for k, v in counts.items()))


def monitoring(measure_label, looks):
    """z per look against ± the critical value of each look (the group-sequential boundary)."""
    title = _("Sequential monitoring: %(measure)s") % {"measure": measure_label}
    if not looks:
        return empty(title, _("No look of the monitoring plan yet."))
    bounded = [look["critical_value"] for look in looks if look["critical_value"] is not None]
    reach = max([abs(look["z"]) for look in looks] + [min(c, 8.0) for c in bounded] + [2.5])
    top = float(int(reach) + 1)
    plot = Plot(title, max(len(looks), 2), y_max=top, y_min=-top, x_min=1)
    every = max(1, len(looks) // 8)
    step = 1 if top <= 5 else 2
    plot.axes([(index, f"{index}: {look['as_of'][:7]}") for index, look in enumerate(looks, start=1)
               if (index - 1) % every == 0],
              [(v, f"{v:g}") for v in range(-int(top), int(top) + 1, step)], _("Look (as of)"), "z")
    plot.polyline([(1, 0), (plot.x_max, 0)], MUTED, dash="2 3", width=1)
    upper = [(index, min(look["critical_value"], top)) for index, look in enumerate(looks, start=1)
             if look["critical_value"] is not None]
    plot.polyline(upper, REFERENCE, dash="6 4")
    plot.polyline([(x, -y) for x, y in upper], REFERENCE, dash="6 4")
    plot.polyline([(index, look["z"]) for index, look in enumerate(looks, start=1)])
    for index, look in enumerate(looks, start=1):
        crossed = look["signal"] != "none"
        bound = _("none (α spent)") if look["critical_value"] is None else f"±{look['critical_value']:.2f}"
        boundary = _("boundary %(bound)s") % {"bound": bound}
        plot.add(f'<circle cx="{plot.x(index):.1f}" cy="{plot.y(look["z"]):.1f}" r="{5 if crossed else 3}" '
                 f'fill="{REFERENCE if crossed else LINE}"><title>{escape(look["as_of"])}: z = {look["z"]:.2f}, '
                 f'{escape(boundary)}</title></circle>')
    plot.legend([(LINE, _("z of the look"), None), (REFERENCE, _("± boundary (Lan–DeMets)"), "6 4")])
    last = looks[-1]
    return plot.render(_("%(looks)s looks; last z = %(z)s at information fraction %(fraction)s.")
                       % {"looks": len(looks), "z": f"{last['z']:.2f}",
                          "fraction": f"{last['information_fraction']:.2f}"})


def report_charts(report):
    details, results = report.details, report.results
    return {
        "incidence": cumulative_incidence(details["monthly_incidence"], results["reference_incidence"]),
        "duration": duration_km(details["duration_km"], details["duration_max_days"],
                                results["reference_duration_days"]),
        "severity": severity_distribution(details["severity_counts"]),
        "time_to_first": time_to_first_isr(details["time_to_first_isr_km"], details["time_to_first_isr_max_days"]),
    }
