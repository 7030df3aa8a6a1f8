from celery import shared_task

from .snapshots import refresh_figures_once


@shared_task(name="summaries.refresh_figures")
def refresh_figures_task():
    """Recompute the stored figures whose data changed (idempotent; one at a time across workers)."""
    return refresh_figures_once()
