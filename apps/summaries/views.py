"""Summary tables: thin views over the selectors.

`?format=json` downloads the figures as JSON and `?format=csv` as CSV: on the index every table
(long form, one line per cell), on a table's page that table (its on-screen columns, numbers split).
Both carry the same figures as the page, from the same (cached or stored) computation. The downloads are
in English whatever the reader's language (one language for every exported file, like the audit trail);
the pages show the tables' texts in the reader's language.
"""
import csv
import io
import json

from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404
from django.shortcuts import render
from django.utils.translation import override

from apps.core.downloads import download
from apps.core.policy import access, may_use

from django_tables2.export import TableExport

from . import selectors, snapshots
from .cache import cached_summaries, data_stamp
from .forms import SummaryFilterForm
from .tables import summary_table


def _filename(scope, name, extension):
    site = scope.site.code if scope.site else "all-sites"
    return f"{name}-{scope.product.code}-{site}-{scope.as_of.isoformat()}.{extension}"


def _scope_json(scope, reference):
    return {"product": scope.product.code, "site": scope.site.code if scope.site else None,
            "as_of": scope.as_of.isoformat(), "reference_profile_id": reference.pk if reference else None}


def _json_download(request, scope, reference, summaries, name):
    body = {"scope": _scope_json(scope, reference), "tables": [summary.as_json() for summary in summaries]}
    return download(request, json.dumps(body, indent=2, cls=DjangoJSONEncoder), content_type="application/json",
                    filename=_filename(scope, name, "json"), rows=sum(len(summary.rows) for summary in summaries))


def _summaries(scope, reference, slug=None):
    """(tables, stored figures or None, stale?): the stored figures when the task keeps this scope, else from the
    rows (cached per data stamp; only table `slug` when given). Stored figures older than the data are shown with
    their time, and refreshed."""
    stored = snapshots.stored_figures("summaries", scope)
    if stored is None:
        snapshots.request_refresh()
        return cached_summaries(scope, reference, slug), None, False
    stale = snapshots.is_stale(stored, data_stamp())
    if stale:
        snapshots.request_refresh()
    return [selectors.Summary.from_json(table) for table in stored.payload["tables"]], stored, stale


@access(may_use)
def summary_index(request):
    form = SummaryFilterForm(request.GET or None, user=request.user)
    context = {"form": form, "summaries": [], "slugs": list(selectors.SUMMARIES)}
    if form.is_valid():
        scope, reference = form.scope(), form.reference()
        summaries, stored, stale = _summaries(scope, reference)
        file_format = request.GET.get("format")
        if file_format == "json":
            return _json_download(request, scope, reference, summaries, "summaries")
        if file_format == "csv":
            content = io.StringIO()
            writer = csv.writer(content)
            writer.writerow(selectors.CSV_HEADER)
            lines = 0
            for summary in summaries:
                rows = summary.csv_rows()  # in English
                writer.writerows(rows)
                lines += len(rows)
            return download(request, content.getvalue(), content_type="text/csv; charset=utf-8",
                            filename=_filename(scope, "summaries", "csv"), rows=lines)
        context.update(scope=scope, reference=reference, stored=stored, stale=stale,
                       summaries=[(summary, summary_table(summary)) for summary in summaries])
    return render(request, "summaries/index.html", context)


@access(may_use)
def summary_detail(request, slug):
    if slug not in selectors.SUMMARIES:
        raise Http404("No such summary table.")
    form = SummaryFilterForm(request.GET or None, user=request.user)
    context = {"form": form, "slug": slug, "title": slug}
    if form.is_valid():
        scope, reference = form.scope(), form.reference()
        summaries, stored, stale = _summaries(scope, reference, slug)
        summary = next(summary for summary in summaries if summary.slug == slug)
        if request.GET.get("format") == "csv":
            with override("en"):  # the headers are built as text when the table is
                table = summary_table(summary)
                exporter = TableExport("csv", table)
                content = exporter.export()
            return download(request, content, content_type=exporter.content_type(),
                            filename=_filename(scope, summary.slug, "csv"), rows=len(table.rows))
        table = summary_table(summary)
        if request.GET.get("format") == "json":
            return _json_download(request, scope, reference, [summary], summary.slug)
        context.update(scope=scope, reference=reference, summary=summary, table=table, title=summary.title,
                       stored=stored, stale=stale)
    return render(request, "summaries/detail.html", context, status=200 if form.is_valid() else 400)
