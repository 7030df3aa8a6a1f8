"""Spreadsheet exports of filtered listings: streamed in constant memory, safe to open in Excel.

The rows come from the listing's own table (its filtered, site-scoped, ordered queryset and its
columns' export values), read from the database in chunks (`QuerySet.iterator`), so memory does
not grow with the number of rows:
- CSV is a StreamingHttpResponse written row by row while the client downloads it;
- XLSX is openpyxl's write-only workbook (each row goes to a temporary file as it is appended),
  saved to a temporary file that is then streamed.
Every text cell that a spreadsheet would evaluate as a formula is prefixed with a quote.
"""
import csv
import tempfile
from datetime import datetime

from django.conf import settings
from django.contrib import messages
from django.http import FileResponse, StreamingHttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.encoding import force_str
from django_tables2.rows import BoundRow

from .tables import cell_value

# A cell starting with one of these is run as a formula by spreadsheet programs (CSV injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
CSV, XLSX = "csv", "xlsx"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
XLSX_MAX_DATA_ROWS = 1_048_575  # rows of one worksheet, minus the header
CHUNK_ROWS = 2000  # rows fetched from the database at a time


def neutralise(value):
    """Prefix text that a spreadsheet would evaluate with a quote, so it stays text."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def cell(value):
    """An export value: text neutralised; date-times as text with their offset (XLSX has no time zones)."""
    value = force_str(value, strings_only=True)
    if isinstance(value, datetime):
        return str(value)
    return neutralise(value)


def table_rows(table, exclude_columns=()):
    """The header, then every row of `table`'s data as export values, read in chunks of CHUNK_ROWS."""
    columns = [column for column in table.columns.iterall()
               if not (column.column.exclude_from_export or column.name in exclude_columns)]
    yield [neutralise(force_str(column.header)) for column in columns]
    for record in table.data.data.iterator(chunk_size=CHUNK_ROWS):
        row = BoundRow(record, table=table)
        yield [cell(cell_value(row, column)) for column in columns]


class _Echo:
    """A file-like object whose write() returns what it is given (csv.writer then yields lines)."""

    def write(self, value):
        return value


def csv_response(rows, filename):
    writer = csv.writer(_Echo())
    response = StreamingHttpResponse((writer.writerow(row) for row in rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def xlsx_response(rows, filename):
    import openpyxl  # loaded by the first XLSX export, not by every process

    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet()
    for row in rows:
        sheet.append(row)
    handle = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it once sent
    workbook.save(handle)
    handle.seek(0)
    return FileResponse(handle, as_attachment=True, filename=filename, content_type=XLSX_CONTENT_TYPE)


class SafeExportMixin:
    """`?_export=csv|xlsx` on a SingleTableMixin view: exactly its filtered, site-scoped rows.

    EXPORT_MAX_ROWS (0: no limit) caps every export; an XLSX worksheet holds at most 1,048,575 rows.
    """

    export_trigger_param = "_export"
    export_formats = (CSV, XLSX)
    export_name = "table"
    exclude_columns = ()

    def render_to_response(self, context, **kwargs):
        export_format = self.request.GET.get(self.export_trigger_param)
        if export_format not in self.export_formats:
            return super().render_to_response(context, **kwargs)
        table = context["table"]
        refused = self.refusal(table, export_format)
        if refused:
            messages.error(self.request, refused)
            query = self.request.GET.copy()
            del query[self.export_trigger_param]
            return redirect(f"{self.request.path}?{query.urlencode()}")
        rows = table_rows(table, self.exclude_columns)
        filename = self.get_export_filename(export_format)
        return csv_response(rows, filename) if export_format == CSV else xlsx_response(rows, filename)

    def refusal(self, table, export_format):
        """Why this export is refused (too many rows for the cap or the format), or None."""
        cap = settings.EXPORT_MAX_ROWS
        if export_format == XLSX:
            cap = min(cap, XLSX_MAX_DATA_ROWS) if cap else XLSX_MAX_DATA_ROWS
        if not cap:
            return None
        rows = table.data.data.count()
        if rows <= cap:
            return None
        why = ("EXPORT_MAX_ROWS, a setting of this installation" if cap == settings.EXPORT_MAX_ROWS
               else "the rows of one XLSX worksheet; the CSV export has no such limit")
        return (f"The export would hold {rows:,} rows, more than the limit of {cap:,} ({why}). "
                "Narrow it with the filters (for example a date range or a site) and export again.")

    def get_export_filename(self, export_format):
        return f"{self.export_name}-{timezone.localdate().isoformat()}.{export_format}"
