"""Scheduled upkeep of the database (beat: see CELERY_BEAT_SCHEDULE in settings)."""
from celery import shared_task

from .maintenance import refresh_planner_statistics


@shared_task(name="core.refresh_planner_statistics")
def refresh_planner_statistics_task():
    refresh_planner_statistics()
