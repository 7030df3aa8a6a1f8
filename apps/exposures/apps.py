from django.apps import AppConfig


class ExposuresConfig(AppConfig):
    name = "apps.exposures"
    default_auto_field = "django.db.models.BigAutoField"
