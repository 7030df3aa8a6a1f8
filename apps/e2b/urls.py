from django.urls import path

from . import views

app_name = "e2b"
urlpatterns = [
    path("reactions/<int:pk>/export.xml", views.reaction_export, name="reaction_export"),
    path("reactions/<int:pk>/exports/", views.case_export_history, name="case_exports"),
    path("reactions/<int:pk>/case-form/", views.case_form, name="case_form"),
    path("reactions/<int:pk>/case-form.pdf", views.case_form_pdf_view, name="case_form_pdf"),
    path("", views.batch_export, name="batch_export"),
]
