from django.urls import path

from . import views

app_name = "fhir"
urlpatterns = [
    path("", views.BundleIntake.as_view(), name="bundle"),
    path("AdverseEvent", views.AdverseEventSearch.as_view(), name="adverse_event_search"),
    path("AdverseEvent/<int:pk>", views.AdverseEventRead.as_view(), name="adverse_event"),
    path("Patient/<int:pk>", views.PatientRead.as_view(), name="patient"),
    path("MedicationStatement/<int:pk>", views.MedicationStatementRead.as_view(), name="medication_statement"),
]
