from django.urls import path

from . import views

app_name = "reactions"
urlpatterns = [
    path("", views.ReactionListView.as_view(), name="list"),
    path("report/", views.ReportReactionView.as_view(), name="report"),
    path("new/<int:patient_pk>/", views.ReactionCreateView.as_view(), name="create"),
    path("<int:pk>/", views.ReactionDetailView.as_view(), name="detail"),
    path("<int:pk>/edit/", views.ReactionUpdateView.as_view(), name="update"),
    path("<int:pk>/submit/", views.ReactionSubmitView.as_view(), name="submit"),
    path("<int:pk>/review/", views.ReactionReviewView.as_view(), name="review"),
    path("<int:pk>/void/", views.ReactionVoidView.as_view(), name="void"),
    path("<int:pk>/history/", views.ReactionHistoryView.as_view(), name="history"),
    path("<int:pk>/return/", views.ReactionReturnView.as_view(), name="return"),
    path("<int:pk>/comment/", views.ReactionCommentView.as_view(), name="comment"),
    path("<int:pk>/follow-up/", views.FollowUpCreateView.as_view(), name="followup_create"),
    path("follow-ups/<int:pk>/edit/", views.FollowUpUpdateView.as_view(), name="followup_update"),
    path("follow-ups/<int:pk>/submit/", views.FollowUpSubmitView.as_view(), name="followup_submit"),
    path("follow-ups/<int:pk>/return/", views.FollowUpReturnView.as_view(), name="followup_return"),
    path("follow-ups/<int:pk>/review/", views.FollowUpReviewView.as_view(), name="followup_review"),
]
