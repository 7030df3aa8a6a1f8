from django.apps import AppConfig


class E2bConfig(AppConfig):
    name = "apps.e2b"
    label = "e2b"
    verbose_name = "E2B(R3) export and MedDRA"
    default_auto_field = "django.db.models.BigAutoField"
