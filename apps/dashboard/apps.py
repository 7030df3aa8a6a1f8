from django.apps import AppConfig


class DashboardConfig(AppConfig):
    name = "apps.dashboard"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from apps.summaries.snapshots import register_figures

        from .selectors import dashboard_figures

        register_figures("dashboard", dashboard_figures)
