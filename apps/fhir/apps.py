from django.apps import AppConfig


class FhirConfig(AppConfig):
    name = "apps.fhir"
    verbose_name = "HL7 FHIR R4"
