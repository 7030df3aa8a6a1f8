from django.apps import AppConfig


class SdtmConfig(AppConfig):
    name = "apps.sdtm"
    verbose_name = "CDISC SDTM"
