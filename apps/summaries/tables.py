"""django-tables2 rendering of a Summary: a readable cell on screen, plain numbers in the CSV."""
import django_tables2 as tables
from django.utils.html import format_html


def _number(value, digits=1):
    return "" if value is None else f"{value:.{digits}f}"


class ProportionColumn(tables.Column):
    """Shows 'k / n · p% (low–high)'; excluded from exports, which get one column per number."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("exclude_from_export", True)
        kwargs.setdefault("orderable", False)
        super().__init__(*args, **kwargs)

    def render(self, value):
        if not value.n:
            return format_html('<span class="text-body-secondary">{} / 0</span>', value.k)
        if value.ci is None:
            return format_html("{} / {} <strong>{}%</strong>", value.k, value.n, _number(value.percent))
        return format_html(
            '{} / {} <strong>{}%</strong> <span class="text-body-secondary small">({}–{})</span>',
            value.k, value.n, _number(value.percent), _number(value.ci_low_percent), _number(value.ci_high_percent))


class ExportNumberColumn(tables.Column):
    """A hidden column that only the CSV shows; shares are rounded to 3 decimals there."""

    def __init__(self, *args, **kwargs):
        kwargs.update(visible=False, orderable=False, default="")
        super().__init__(*args, **kwargs)

    def render(self, value):
        return round(value, 3) if isinstance(value, float) else value


def _export_columns(column):
    key, header = column.key, column.header
    parts = (("k", "count"), ("n", "denominator"), ("percent", "%"), ("ci_low_percent", "95% CI low %"),
             ("ci_high_percent", "95% CI high %"))
    return {f"{key}__{attr}": ExportNumberColumn(accessor=f"{key}__{attr}", verbose_name=f"{header}: {label}")
            for attr, label in parts}


class SummaryTable(tables.Table):
    class Meta:
        orderable = False
        attrs = {"class": "table table-sm table-hover align-middle summary-table"}
        row_attrs = {"class": lambda record: "table-light fw-semibold" if record.get("is_total") else ""}


def summary_table(summary):
    """A Table class built from the summary's column list, instantiated with its rows."""
    attrs = {}
    for column in summary.columns:
        if column.kind == "proportion":
            attrs[column.key] = ProportionColumn(verbose_name=column.header)
            attrs.update(_export_columns(column))
        else:
            attrs[column.key] = tables.Column(verbose_name=column.header or " ", default="", orderable=False)
    table_class = type(f"{summary.slug.title().replace('-', '')}Table", (SummaryTable,), attrs)
    return table_class(summary.rows)
