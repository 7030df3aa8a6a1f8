from django.apps import AppConfig


class SummariesConfig(AppConfig):
    name = "apps.summaries"
    verbose_name = "Summary tables"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from apps.core.maintenance import bulk_data_written

        bulk_data_written.connect(_refresh_after_bulk_write, dispatch_uid="summaries-refresh-after-bulk-write")


def _refresh_after_bulk_write(sender, **kwargs):
    from .snapshots import request_refresh  # here, not at start-up: it loads the statistics (scipy)

    request_refresh()
