from celery import shared_task

from .services import email_due_cases


@shared_task(name="clocks.email_due_cases")
def email_due_cases_task():
    return email_due_cases()
