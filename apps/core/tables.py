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
                (attrs, conditional_escape(row.get_cell(column.name))) for attrs, column in zip(td_attrs, columns)))
            html.append(f"<tr {row.attrs.as_html()}>{cells}</tr>")
        return mark_safe("\n".join(html))  # noqa: S308 - every part escaped above
