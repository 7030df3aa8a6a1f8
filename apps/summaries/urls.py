from django.urls import path

from . import views

app_name = "summaries"
urlpatterns = [
    path("", views.summary_index, name="index"),
    path("<slug:slug>/", views.summary_detail, name="detail"),
]
