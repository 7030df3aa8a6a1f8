"""Web imports: upload checks, the job a worker runs, and its progress.

The importer runs in one transaction (all or nothing), so its progress cannot be read from the
database until it commits; it goes to the "progress" cache (Redis in production, files under var/
otherwise), which the job page reads.
"""
import io

from celery import current_app
from django.conf import settings
from django.core.cache import caches
from django.db import transaction
from django.utils import timezone

from apps.core.policy import may_enter_data

from .models import ImportFile, ImportJob, ImportStatus
from .parsing import CsvSource
from .services import SPECS, pv_csv_import

RUN_TASK = "imports.run_import_job"

KINDS = tuple(spec.kind for spec in SPECS)
PROGRESS_TTL_SECONDS = 24 * 3600


def upload_problems(kind, upload) -> list[str]:
    """File-level problems of one upload (size, encoding, header), as FILE:LINE: field: reason."""
    spec = next(spec for spec in SPECS if spec.kind == kind)
    if upload.size > settings.IMPORT_UPLOAD_MAX_BYTES:
        return [f"{upload.name}: file: is {upload.size:,} bytes; the largest upload accepted is "
                f"{settings.IMPORT_UPLOAD_MAX_BYTES:,} bytes. Split it, or use the import_pv_csv command."]
    upload.seek(0)
    source = CsvSource(upload, spec, max_bytes=settings.IMPORT_UPLOAD_MAX_BYTES)
    try:
        return [str(problem) for problem in source.check()]
    finally:
        source.close()
        upload.seek(0)


def _data_rows(content: bytes) -> int:
    return max(content.count(b"\n") - 1 + (0 if content.endswith(b"\n") else 1), 0)


@transaction.atomic
def import_job_create(*, actor, files: dict, dry_run=False, confirm_duplicates=False) -> ImportJob:
    """Record the upload and queue its import once committed; `files` maps kind to an uploaded file."""
    may_enter_data(actor).require()
    job = ImportJob.objects.create(created_by=actor, dry_run=dry_run, confirm_duplicates=confirm_duplicates)
    total = 0
    for kind in KINDS:
        upload = files.get(kind)
        if upload is None:
            continue
        upload.seek(0)
        content = upload.read()
        total += _data_rows(content)
        ImportFile.objects.create(job=job, kind=kind, name=upload.name[:255], content=content)
    job.rows_total = total
    job.save(update_fields=["rows_total"])
    # By name: the task module wraps these functions, so they do not import it back.
    transaction.on_commit(lambda: current_app.signature(RUN_TASK, args=[job.pk]).apply_async())
    return job


def progress_cache():
    return caches["progress"]


def _progress_key(job_id):
    return f"import-progress:{job_id}"


def import_progress(job: ImportJob) -> dict:
    """{"checked": n, "written": m, "total": t}: live while running, final once finished."""
    if job.is_finished:
        written = 0 if job.status != ImportStatus.DONE else job.rows_total
        checked = job.rows_total if job.status != ImportStatus.FAILED else 0
        return {"checked": checked, "written": written, "total": job.rows_total}
    live = progress_cache().get(_progress_key(job.pk)) or {}
    return {"checked": live.get("checked", 0), "written": live.get("written", 0), "total": job.rows_total}


def import_job_run(*, job_id) -> ImportJob | None:
    """Run a queued job once (a redelivered message finds it claimed or finished)."""
    claimed = ImportJob.objects.filter(pk=job_id, status=ImportStatus.QUEUED).update(
        status=ImportStatus.RUNNING, started_at=timezone.now())
    job = ImportJob.objects.select_related("created_by__site").filter(pk=job_id).first()
    if not claimed or job is None:
        return job
    key, cache = _progress_key(job.pk), progress_cache()

    def progress(checked, written):
        cache.set(key, {"checked": checked, "written": written}, PROGRESS_TTL_SECONDS)

    sources = {}
    for stored in job.files.all():
        stream = io.BytesIO(bytes(stored.content))
        stream.name = stored.name
        sources[stored.kind] = stream
    try:
        result = pv_csv_import(**sources, dry_run=job.dry_run, confirm_duplicates=job.confirm_duplicates,
                               actor=job.created_by, progress=progress)
    except Exception as exc:  # recorded for the user; the importer's transaction was rolled back
        job.status, job.errors = ImportStatus.FAILED, [f"The import failed and wrote nothing: {exc}"]
    else:
        job.errors = [str(problem) for problem in result.errors]
        job.warnings = [str(problem) for problem in result.warnings[:200]]
        job.summary = result.summary()
        job.status = (ImportStatus.REFUSED if not result.ok else
                      ImportStatus.CHECKED if job.dry_run else ImportStatus.DONE)
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "errors", "warnings", "summary", "finished_at"])
    cache.delete(key)
    return job
