"""The listings' table base: django-tables2 for columns, sorting and exports, with the body built in Python."""
import django_tables2 as tables
from django.utils.html import conditional_escape, format_html_join
from django.utils.safestring import mark_safe


class ListingTable(tables.Table):
    """A table whose rows are rendered without a template per cell.

    Through django-tables2's template, each of a page's few hundred cells ran nested template
    tags and rebuilt its column's attributes: most of a listing's CPU. Here each column's <td>
    attributes are computed once per page (the listings' are static), and each cell is the
    column's rendered value, exactly as the template would show it (columns here never localize).
    """

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("template_name", "core/_table.html")
        super().__init__(*args, **kwargs)

    def body_html(self):
        columns = list(self.columns)
        td_attrs = [column.attrs["td"].as_html() for column in columns]
        html = []
        for row in self.paginated_rows:
            cells = format_html_join("", "<td {}>{}</td>", (
                (attrs, conditional_escape(cell_html(row, column))) for attrs, column in zip(td_attrs, columns)))
            html.append(f"<tr {row.attrs.as_html()}>{cells}</tr>")
        return mark_safe("\n".join(html))  # noqa: S308 - every part escaped above


# BoundRow.get_cell(name) / get_cell_value(name) look the column up by name among all columns for every
# cell; these take the bound column itself (django-tables2 3.0, pinned).
def cell_html(row, column):
    """What the table's template shows in this cell (BoundRow.get_cell)."""
    return row._get_and_render_with(column, render_func=row._call_render, default=column.default)


def cell_value(row, column):
    """The cell's export value (BoundRow.get_cell_value)."""
    return row._get_and_render_with(column, render_func=row._call_value, default=None)
