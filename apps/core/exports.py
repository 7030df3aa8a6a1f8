"""Spreadsheet exports of filtered listings (django-tables2 + tablib), safe to open in Excel."""
from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect
from django.utils import timezone
from django.http import HttpResponse
from django_tables2.export import ExportMixin, TableExport

from apps.audit.services import log_export

from .downloads import name_download, safe_filename

# A cell starting with one of these is run as a formula by spreadsheet programs (CSV injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value):
    """Prefix text that a spreadsheet would evaluate with a quote, so it stays text."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


class SafeTableExport(TableExport):
    """CSV and XLSX only, with every text cell neutralised."""

    ALLOWED = (TableExport.CSV, TableExport.XLSX)

    @classmethod
    def is_valid_format(cls, export_format):
        return export_format in cls.ALLOWED

    def table_to_dataset(self, table, exclude_columns, dataset_kwargs=None):
        dataset = super().table_to_dataset(table, exclude_columns, dataset_kwargs)
        safe = type(dataset)(title=dataset.title)
        safe.headers = [neutralise(header) for header in dataset.headers or []]
        for row in dataset:
            safe.append([neutralise(cell) for cell in row])
        return safe


class SafeExportMixin(ExportMixin):
    """Export exactly the filtered, site-scoped rows of a SingleTableMixin view."""

    export_class = SafeTableExport
    export_formats = SafeTableExport.ALLOWED

    def render_to_response(self, context, **kwargs):
        """Refuse an export larger than EXPORT_MAX_ROWS: it is built in memory, so ask for filters."""
        export_format = self.request.GET.get(self.export_trigger_param)
        if self.export_class.is_valid_format(export_format):
            rows = context["table"].data.data.count()
            if rows > settings.EXPORT_MAX_ROWS:
                messages.error(self.request, (
                    f"The export would hold {rows:,} rows, more than the limit of {settings.EXPORT_MAX_ROWS:,}. "
                    "Narrow it with the filters (for example a date range or a site) and export again."))
                query = self.request.GET.copy()
                del query[self.export_trigger_param]
                return redirect(f"{self.request.path}?{query.urlencode()}")
        return super().render_to_response(context, **kwargs)

    def get_export_filename(self, export_format):
        return f"{self.export_name}-{timezone.localdate().isoformat()}.{export_format}"

    def create_export(self, export_format):
        """The file, named safely (RFC 6266), uncached, and logged with its filter and row count."""
        table = self.get_table(**self.get_table_kwargs())
        exporter = self.export_class(export_format=export_format, table=table, exclude_columns=self.exclude_columns,
                                     dataset_kwargs=self.get_dataset_kwargs())
        filename = self.get_export_filename(export_format)
        response = name_download(HttpResponse(exporter.export(), content_type=exporter.content_type()), filename)
        log_export(self.request, what=safe_filename(filename), rows=len(exporter.dataset))
        return response
