from django.apps import AppConfig


class DashboardConfig(AppConfig):
    name = "apps.dashboard"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from apps.summaries.figure_kinds import register_figures

        register_figures("dashboard", "apps.dashboard.selectors.dashboard_figures")
