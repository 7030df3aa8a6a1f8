from django.apps import AppConfig


class DashboardConfig(AppConfig):
    name = "apps.dashboard"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from apps.summaries.snapshots import register_figures

        from .selectors import stored_dashboard

        register_figures("dashboard", stored_dashboard)
