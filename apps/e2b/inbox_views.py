"""Inbox screens: upload a batch, the triage queue, one received ICSR, accept (pre-filled form) or dismiss."""
from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from apps.core.downloads import download
from apps.core.policy import access, may_triage
from apps.patients.selectors import patient_list
from apps.reactions.views import ReactionCreateView

from .inbox import changes_between, e2b_import, incoming_case_dismiss, incoming_case_link
from .inbox_models import IncomingBatch, IncomingCase
from .inbox_prefill import matching_patients, reaction_initial


class UploadForm(forms.Form):
    file = forms.FileField(label="E2B(R3) batch (MCCI_IN200100UV01 XML)")


class DismissForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=2000,
                             help_text="Why the ICSR is not tracked (e.g. not an injection-site reaction, not our product).")


class PatientLookupForm(forms.Form):
    patient_ref = forms.CharField(max_length=50, label="Patient reference")


def _case(pk):
    return get_object_or_404(IncomingCase.objects.select_related("batch", "previous", "nullified_by", "reaction"),
                             pk=pk)


@access(may_triage)
@require_http_methods(["GET", "POST"])
def inbox(request):
    """The triage queue, the latest batches, and the upload form (POST receives a file)."""
    form = UploadForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        result = e2b_import(content=upload.read(), filename=upload.name, actor=request.user)
        if result.accepted:
            messages.success(request, f"{len(result.cases)} ICSR(s) received from {result.batch.batch_sender}; "
                                      "the positive acknowledgement is ready.")
            return redirect("e2b:inbox")
        return render(request, "e2b/inbox_refused.html", {"batch": result.batch}, status=400)
    if request.method == "POST":
        status = 400
    pending = (IncomingCase.objects.filter(triage=IncomingCase.Triage.PENDING, nullified_by__isnull=True)
               .select_related("batch").order_by("pk")[:200])
    batches = IncomingBatch.objects.all()[:20]
    return render(request, "e2b/inbox.html", {"form": form, "pending": pending, "batches": batches}, status=status)


@access(may_triage)
@require_GET
def batch_acknowledgement(request, pk):
    batch = get_object_or_404(IncomingBatch, pk=pk)
    return download(request, batch.acknowledgement_xml, content_type="application/xml; charset=utf-8",
                    filename=f"ack-{batch.pk}.xml")


@access(may_triage)
@require_GET
def incoming_case(request, pk):
    case = _case(pk)
    changes = changes_between(case.previous.parsed, case.parsed) if case.previous else []
    return render(request, "e2b/incoming_case.html", {
        "case": case, "parsed": case.parsed, "changes": changes,
        "later": case.later.order_by("pk"), "lookup": PatientLookupForm(),
        "suggested": matching_patients(case.parsed, patient_list(user=request.user))[:10]})


@access(may_triage)
@require_http_methods(["GET", "POST"])
def incoming_case_dismiss_view(request, pk):
    case = _case(pk)
    form = DismissForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            incoming_case_dismiss(case=case, actor=request.user, reason=form.cleaned_data["reason"])
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"ICSR {case.case_id} dismissed.")
            return redirect("e2b:inbox")
    return render(request, "e2b/incoming_dismiss.html", {"case": case, "form": form},
                  status=400 if request.method == "POST" else 200)


class IncomingCaseAcceptView(ReactionCreateView):
    """The reaction form, pre-filled from the ICSR, for the patient the reviewer picked."""

    access = may_triage

    def check_access(self):
        self.case = _case(self.kwargs["pk"])
        if not self.case.is_pending or self.case.nullified_by_id:
            raise PermissionDenied("This ICSR was already triaged or has been nullified.")
        ref = (self.request.GET.get("patient_ref") or "").strip()
        patient = patient_list(user=self.request.user).filter(patient_ref=ref).first() if ref else None
        if patient is None:
            raise Http404("No live patient with this reference in your scope.")
        self.kwargs["patient_pk"] = patient.pk
        super().check_access()

    def get_initial(self):
        # Day zero is the day this organisation received the ICSR, not the sender's own C.1.4.
        received = timezone.localdate(self.case.batch.received_at)
        return {**reaction_initial(self.case.parsed), "received_date": received}

    def perform(self, form):
        with transaction.atomic():
            reaction = super().perform(form)
            incoming_case_link(case=self.case, reaction=reaction, actor=self.request.user)
        return reaction

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["page_title"] = f"Track ICSR {self.case.case_id} · patient {self.record.patient_ref}"
        context["cancel_url"] = reverse("e2b:incoming_case", args=[self.case.pk])
        return context
