"""Celery task of the web import: takes the job id, idempotent."""
from celery import shared_task

from . import jobs


@shared_task(name=jobs.RUN_TASK, acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def run_import_job(job_id):
    job = jobs.import_job_run(job_id=job_id)
    return job and job.status
