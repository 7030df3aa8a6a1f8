from django.apps import AppConfig


class SummariesConfig(AppConfig):
    name = "apps.summaries"
    verbose_name = "Summary tables"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from apps.core.maintenance import bulk_data_written

        from .snapshots import request_refresh

        bulk_data_written.connect(lambda sender, **kwargs: request_refresh(), weak=False,
                                  dispatch_uid="summaries-refresh-after-bulk-write")
