from django.apps import AppConfig


class ClocksConfig(AppConfig):
    name = "apps.clocks"
    verbose_name = "Regulatory clocks"
