from django.urls import path

from . import views

app_name = "e2b"
urlpatterns = [
    path("reactions/<int:pk>/export.xml", views.reaction_export, name="reaction_export"),
    path("reactions/<int:pk>/exports/", views.case_export_history, name="case_exports"),
    path("reactions/<int:pk>/case-form/", views.case_form, name="case_form"),
    path("reactions/<int:pk>/case-form.pdf", views.case_form_pdf_view, name="case_form_pdf"),
    path("", views.batch_export, name="batch_export"),
    path("reactions/<int:pk>/nullify/", views.case_nullify, name="case_nullify"),
    path("reactions/<int:pk>/amend/", views.case_amend, name="case_amend"),
]

from . import inbox_views  # noqa: E402

urlpatterns += [
    path("inbox/", inbox_views.inbox, name="inbox"),
    path("inbox/batches/<int:pk>/acknowledgement.xml", inbox_views.batch_acknowledgement, name="inbox_ack"),
    path("inbox/<int:pk>/", inbox_views.incoming_case, name="incoming_case"),
    path("inbox/<int:pk>/dismiss/", inbox_views.incoming_case_dismiss_view, name="incoming_dismiss"),
    path("inbox/<int:pk>/accept/", inbox_views.IncomingCaseAcceptView.as_view(), name="incoming_accept"),
]
