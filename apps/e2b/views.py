"""E2B screens: XML download (one case or a batch), the case's export history, the case form."""
from django import forms
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_http_methods

from apps.audit.models import SignedAct
from apps.audit.signatures import SignatureFormMixin
from apps.core.downloads import download
from apps.core.policy import access, may_review, may_use
from apps.reactions.policies import may_export

from .case_form import case_form_html, case_form_pdf
from .selectors import case_exports, case_get, exportable_reactions, scoped_reactions
from .services import ExportInvalid, ExportRefused, can_export, e2b_export


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


@access(may_review)
@require_http_methods(["GET", "POST"])
def batch_export(request):
    """GET lists the exportable cases to tick; POST `reaction` ids downloads one batch."""
    form = ExportSignatureForm(request.POST or None, signing_request=request)
    if request.method == "GET" or not form.is_valid():
        return render(request, "e2b/batch_export.html",
                      {"reactions": exportable_reactions(request.user)[:500], "form": form,
                       "ticked": set(request.POST.getlist("reaction"))}, status=400 if form.errors else 200)
    raw_ids = request.POST.getlist("reaction")
    bad = [value for value in raw_ids if not value.strip().isdigit()]
    if bad:
        return _refused(request, problems={"": [f"Not a reaction id: {', '.join(bad)}."]})
    ids = list(dict.fromkeys(int(value) for value in raw_ids))
    found = {r.pk: r for r in scoped_reactions(request.user).filter(pk__in=ids)}
    missing = [str(pk) for pk in ids if pk not in found]
    if missing:
        return _refused(request, problems={"": [f"No reaction with id {', '.join(missing)} in your scope."]})
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
