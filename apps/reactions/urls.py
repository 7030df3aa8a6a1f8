from django.urls import path

from . import views

app_name = "reactions"
urlpatterns = [
    path("", views.ReactionListView.as_view(), name="list"),
    path("new/<int:patient_pk>/", views.ReactionCreateView.as_view(), name="create"),
    path("<int:pk>/", views.ReactionDetailView.as_view(), name="detail"),
    path("<int:pk>/edit/", views.ReactionUpdateView.as_view(), name="update"),
    path("<int:pk>/submit/", views.ReactionSubmitView.as_view(), name="submit"),
    path("<int:pk>/review/", views.ReactionReviewView.as_view(), name="review"),
    path("<int:pk>/void/", views.ReactionVoidView.as_view(), name="void"),
    path("<int:pk>/history/", views.ReactionHistoryView.as_view(), name="history"),
]
