"""Web import: upload page, job page with its progress (the page reloads itself until done)."""
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from apps.core.roles import scoped_site
from apps.core.policy import access, may_enter_data

from .forms import ImportUploadForm
from .jobs import KINDS, import_job_create, import_progress
from .models import ImportJob

REFRESH_SECONDS = 1


def _jobs_of(user):
    """Central staff see every import; a site-bound user sees their own."""
    jobs = ImportJob.objects.select_related("created_by")
    return jobs if scoped_site(user) is None else jobs.filter(created_by=user)


@access(may_enter_data)
@require_http_methods(["GET", "POST"])
def upload(request):
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        job = import_job_create(actor=request.user, files={kind: form.cleaned_data[kind] for kind in KINDS
                                                           if form.cleaned_data.get(kind)},
                                dry_run=form.cleaned_data["dry_run"],
                                confirm_duplicates=form.cleaned_data["confirm_duplicates"])
        return redirect("imports:detail", pk=job.pk)
    return render(request, "imports/upload.html", {
        "form": form, "site": scoped_site(request.user), "recent": _jobs_of(request.user)[:10]},
        status=400 if form.errors else 200)


@access(may_enter_data)
@require_GET
def detail(request, pk):
    job = get_object_or_404(_jobs_of(request.user).prefetch_related("files"), pk=pk)
    progress = import_progress(job)
    total = progress["total"] or 1
    return render(request, "imports/detail.html", {
        "job": job, "progress": progress, "refresh_seconds": REFRESH_SECONDS,
        "checked_percent": round(100 * progress["checked"] / total),
        "written_percent": round(100 * progress["written"] / total)})


@access(may_enter_data)
@require_GET
def status(request, pk):
    job = get_object_or_404(_jobs_of(request.user), pk=pk)
    return JsonResponse({"status": job.status, "finished": job.is_finished, **import_progress(job),
                         "errors": job.errors, "summary": job.summary})
