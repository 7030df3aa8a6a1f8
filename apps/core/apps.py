from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "apps.core"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from . import middleware  # noqa: F401 (connects the login receiver that starts the session clock)
