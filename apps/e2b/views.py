"""E2B screens: XML download (one case or a batch), the case's export history, the case form."""
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_http_methods
from django.utils.translation import gettext as _

from .case_form import case_form_html, case_form_pdf
from .filters import BatchFilter
from .selectors import case_exports, case_get, exportable_reactions, scoped_reactions
from .services import ExportInvalid, ExportRefused, can_export, e2b_export


def _xml_response(result):
    response = HttpResponse(result.xml, content_type="application/xml; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{result.filename}"'
    return response


def _refused(request, *, problems=None, errors=None, back_url=None):
    return render(request, "e2b/export_refused.html",
                  {"problems": problems or {}, "errors": errors or [], "back_url": back_url}, status=400)


def _export(request, reactions, back_url):
    try:
        result = e2b_export(reactions=reactions, actor=request.user)
    except ExportRefused as refused:
        return _refused(request, problems=refused.problems, back_url=back_url)
    except ExportInvalid as invalid:
        return _refused(request, errors=invalid.errors, back_url=back_url)
    return _xml_response(result)


def _require_export_role(user):
    if not can_export(user):
        raise PermissionDenied(_("Only reviewers and administrators export ICSRs."))


@login_required
@require_GET
def reaction_export(request, pk):
    reaction = case_get(user=request.user, pk=pk)
    _require_export_role(request.user)
    return _export(request, [reaction], back_url=request.META.get("HTTP_REFERER"))


BATCH_PAGE_SIZE = 50


@login_required
@require_http_methods(["GET", "POST"])
def batch_export(request):
    """GET lists the reviewed cases to send (filtered, paged); POST downloads one batch of the ticked
    `reaction` ids, or of every case matching the filters (`all_matching`)."""
    _require_export_role(request.user)
    if request.method == "GET":
        batch_filter = BatchFilter(request.GET, queryset=exportable_reactions(request.user),
                                   user=request.user)
        matching = batch_filter.qs if batch_filter.is_valid() else exportable_reactions(request.user).none()
        page = Paginator(matching, BATCH_PAGE_SIZE).get_page(request.GET.get("page"))
        query = request.GET.copy()
        query.pop("page", None)
        return render(request, "e2b/batch_export.html", {
            "filter": batch_filter, "page": page, "count": page.paginator.count, "query": query.urlencode(),
            "batch_max": settings.E2B_BATCH_MAX_CASES}, status=200 if batch_filter.is_valid() else 400)
    if request.POST.get("all_matching"):
        batch_filter = BatchFilter(request.POST, queryset=exportable_reactions(request.user), user=request.user)
        if not batch_filter.is_valid():
            return _refused(request, problems={"": [f"{name}: {' '.join(errors)}"
                                                    for name, errors in batch_filter.errors.items()]})
        reactions = list(batch_filter.qs[:settings.E2B_BATCH_MAX_CASES + 1])
        if len(reactions) > settings.E2B_BATCH_MAX_CASES:
            return _refused(request, problems={"": [_("More than %(max)s cases match: narrow the filters (e.g. the onset range) and "
                                                      "export in parts.") % {"max": settings.E2B_BATCH_MAX_CASES}]})
        return _export(request, reactions, back_url=request.path)
    raw_ids = request.POST.getlist("reaction")
    bad = [value for value in raw_ids if not value.strip().isdigit()]
    if bad:
        return _refused(request, problems={"": [_("Not a reaction id: %(ids)s.") % {"ids": ", ".join(bad)}]})
    ids = list(dict.fromkeys(int(value) for value in raw_ids))
    found = {r.pk: r for r in scoped_reactions(request.user).filter(pk__in=ids)}
    missing = [str(pk) for pk in ids if pk not in found]
    if missing:
        return _refused(request, problems={"": [_("No reaction with id %(ids)s in your scope.") % {"ids": ", ".join(missing)}]})
    unreviewed = [found[pk].reaction_ref for pk in ids if found[pk].status != "reviewed"]
    if unreviewed:
        return _refused(request, problems={"": [_("Only reviewed (locked) cases are sent in a batch: %(refs)s not reviewed yet.")
                                                % {"refs": ", ".join(unreviewed)}]})
    return _export(request, [found[pk] for pk in ids], back_url=request.path)


@login_required
@require_GET
def case_export_history(request, pk):
    reaction = case_get(user=request.user, pk=pk)
    return render(request, "e2b/case_exports.html",
                  {"reaction": reaction, "exports": case_exports(reaction), "can_export": can_export(request.user)})


@login_required
@require_GET
def case_form(request, pk):
    reaction = case_get(user=request.user, pk=pk)
    return HttpResponse(case_form_html(reaction))


@login_required
@require_GET
def case_form_pdf_view(request, pk):
    reaction = case_get(user=request.user, pk=pk)
    response = HttpResponse(case_form_pdf(reaction), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="case-form-{reaction.reaction_ref}.pdf"'
    return response
