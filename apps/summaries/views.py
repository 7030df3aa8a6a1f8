"""Summary tables: thin views over the selectors; `?format=csv` downloads a table."""
from django.http import Http404
from django.shortcuts import render

from apps.core.downloads import download
from apps.core.policy import access, may_use

from django_tables2.export import TableExport

from . import selectors
from .cache import cached_summary, data_stamp
from .forms import SummaryFilterForm
from .tables import summary_table


@access(may_use)
def summary_index(request):
    form = SummaryFilterForm(request.GET or None, user=request.user)
    context = {"form": form, "summaries": [], "slugs": list(selectors.SUMMARIES)}
    if form.is_valid():
        scope, reference, stamp = form.scope(), form.reference(), data_stamp()
        context.update(scope=scope, reference=reference, summaries=[
            (summary, summary_table(summary)) for summary in
            (cached_summary(slug, build, scope, reference, stamp) for slug, build in selectors.SUMMARIES.items())])
    return render(request, "summaries/index.html", context)


@access(may_use)
def summary_detail(request, slug):
    build = selectors.SUMMARIES.get(slug)
    if build is None:
        raise Http404("No such summary table.")
    form = SummaryFilterForm(request.GET or None, user=request.user)
    context = {"form": form, "slug": slug, "title": slug}
    if form.is_valid():
        scope, reference = form.scope(), form.reference()
        summary = cached_summary(slug, build, scope, reference)
        table = summary_table(summary)
        if request.GET.get("format") == "csv":
            site = scope.site.code if scope.site else "all-sites"
            filename = f"{summary.slug}-{scope.product.code}-{site}-{scope.as_of.isoformat()}.csv"
            exporter = TableExport("csv", table)
            return download(request, exporter.export(), content_type=exporter.content_type(), filename=filename,
                            rows=len(table.rows))
        context.update(scope=scope, reference=reference, summary=summary, table=table, title=summary.title)
    return render(request, "summaries/detail.html", context, status=200 if form.is_valid() else 400)
