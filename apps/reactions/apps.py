from django.apps import AppConfig


class ReactionsConfig(AppConfig):
    name = "apps.reactions"
    default_auto_field = "django.db.models.BigAutoField"
