from django.apps import AppConfig


class SummariesConfig(AppConfig):
    name = "apps.summaries"
    verbose_name = "Summary tables"
    default_auto_field = "django.db.models.BigAutoField"
