"""E2B screens: XML download (one case or a batch), the case's export history, the case form."""
from django import forms
from django.conf import settings
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.audit.models import SignedAct
from apps.audit.signatures import SignatureFormMixin
from apps.core.downloads import download
from apps.core.policy import access, may_review, may_use
from apps.reactions.policies import may_export, may_send_correction

from .case_form import case_form_html, case_form_pdf
from .filters import BatchFilter
from .selectors import case_exports, case_get, exportable_reactions, scoped_reactions
from .services import ExportInvalid, ExportRefused, can_export, e2b_amend, e2b_export, e2b_nullify


def _xml_response(request, result):
    return download(request, result.xml, content_type="application/xml; charset=utf-8", filename=result.filename,
                    rows=len(result.exports))


def _refused(request, *, problems=None, errors=None, back_url=None):
    return render(request, "e2b/export_refused.html",
                  {"problems": problems or {}, "errors": errors or [], "back_url": back_url}, status=400)


class ExportSignatureForm(SignatureFormMixin, forms.Form):
    signature_act = SignedAct.E2B_EXPORT


def _export(request, reactions, back_url, signature):
    try:
        result = e2b_export(reactions=reactions, actor=request.user, signature=signature)
    except ExportRefused as refused:
        return _refused(request, problems=refused.problems, back_url=back_url)
    except ExportInvalid as invalid:
        return _refused(request, errors=invalid.errors, back_url=back_url)
    return _xml_response(request, result)


@access(may_review)
@require_http_methods(["GET", "POST"])
def reaction_export(request, pk):
    """GET asks for the signature (password and meaning); a signed POST downloads the validated ICSR."""
    reaction = case_get(user=request.user, pk=pk)
    may_export(request.user, reaction).require()
    form = ExportSignatureForm(request.POST or None, signing_request=request)
    if request.method == "POST" and form.is_valid():
        return _export(request, [reaction], back_url=reaction.get_absolute_url(), signature=form.signature)
    return render(request, "e2b/sign_export.html", {"form": form, "reaction": reaction},
                  status=400 if form.errors else 200)


BATCH_PAGE_SIZE = 50


def _batch_page(request, data, form, status=200):
    batch_filter = BatchFilter(data, queryset=exportable_reactions(request.user), user=request.user)
    matching = batch_filter.qs if batch_filter.is_valid() else exportable_reactions(request.user).none()
    page = Paginator(matching, BATCH_PAGE_SIZE).get_page(data.get("page"))
    query = data.copy()
    for name in ("page", "csrfmiddlewaretoken", "password", "meaning", "reaction", "all_matching"):
        query.pop(name, None)
    return render(request, "e2b/batch_export.html", {
        "filter": batch_filter, "page": page, "count": page.paginator.count, "query": query.urlencode(),
        "batch_max": settings.E2B_BATCH_MAX_CASES, "form": form,
        "ticked": set(request.POST.getlist("reaction"))},
        status=status if batch_filter.is_valid() else 400)


@access(may_review)
@require_http_methods(["GET", "POST"])
def batch_export(request):
    """GET lists the reviewed cases to send (filtered, paged); a signed POST downloads one batch of the
    ticked `reaction` ids, or of every case matching the filters (`all_matching`)."""
    if request.method == "GET":
        return _batch_page(request, request.GET, ExportSignatureForm(signing_request=request))
    form = ExportSignatureForm(request.POST, signing_request=request)
    if not form.is_valid():
        return _batch_page(request, request.POST, form, status=400)
    if request.POST.get("all_matching"):
        batch_filter = BatchFilter(request.POST, queryset=exportable_reactions(request.user), user=request.user)
        if not batch_filter.is_valid():
            return _refused(request, problems={"": [f"{name}: {' '.join(errors)}"
                                                    for name, errors in batch_filter.errors.items()]})
        reactions = list(batch_filter.qs[:settings.E2B_BATCH_MAX_CASES + 1])
        if len(reactions) > settings.E2B_BATCH_MAX_CASES:
            return _refused(request, problems={"": [_("More than %(max)s cases match: narrow the filters (e.g. the onset range) and "
                                                      "export in parts.") % {"max": settings.E2B_BATCH_MAX_CASES}]})
        return _export(request, reactions, back_url=request.path, signature=form.signature)
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
    return _export(request, [found[pk] for pk in ids], back_url=request.path, signature=form.signature)


@access(may_use)
@require_GET
def case_export_history(request, pk):
    reaction = case_get(user=request.user, pk=pk)
    return render(request, "e2b/case_exports.html",
                  {"reaction": reaction, "exports": case_exports(reaction), "can_export": can_export(request.user)})


@access(may_use)
@require_GET
def case_form(request, pk):
    reaction = case_get(user=request.user, pk=pk)
    return HttpResponse(case_form_html(reaction))


@access(may_use)
@require_GET
def case_form_pdf_view(request, pk):
    reaction = case_get(user=request.user, pk=pk)
    return download(request, case_form_pdf(reaction), content_type="application/pdf",
                    filename=f"case-form-{reaction.reaction_ref}.pdf", inline=True, rows=1)


class CorrectionForm(ExportSignatureForm):
    reason = forms.CharField(label=gettext_lazy("Reason (C.1.11.2)"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))
    field_order = ["reason", "password", "meaning"]


def _correction(request, pk, service, title):
    """GET asks for the C.1.11.2 reason and the signature; a signed POST downloads the nullification or
    amendment report."""
    reaction = case_get(user=request.user, pk=pk)
    may_send_correction(request.user, reaction).require()
    back_url = reverse("e2b:case_exports", args=[reaction.pk])
    form = CorrectionForm(request.POST or None, signing_request=request)
    if request.method == "POST" and form.is_valid():
        try:
            result = service(reaction=reaction, actor=request.user, reason=form.cleaned_data["reason"],
                             signature=form.signature)
        except ExportRefused as refused:
            return _refused(request, problems=refused.problems, back_url=back_url)
        except ExportInvalid as invalid:
            return _refused(request, errors=invalid.errors, back_url=back_url)
        return _xml_response(request, result)
    return render(request, "core/form_page.html", {
        "form": form, "page_title": f"{title} · {reaction.reaction_ref}", "cancel_url": back_url,
        "submit_label": _("Sign and download the report")}, status=400 if form.errors else 200)


@access(may_review)
@require_http_methods(["GET", "POST"])
def case_nullify(request, pk):
    return _correction(request, pk, e2b_nullify, _("Nullify the case already sent"))


@access(may_review)
@require_http_methods(["GET", "POST"])
def case_amend(request, pk):
    return _correction(request, pk, e2b_amend, _("Send an amendment of the case already sent"))
