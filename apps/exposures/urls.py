from django.urls import path

from . import views

app_name = "exposures"
urlpatterns = [
    path("", views.ExposureListView.as_view(), name="list"),
    path("new/<int:patient_pk>/", views.ExposureCreateView.as_view(), name="create"),
    path("<int:pk>/", views.ExposureDetailView.as_view(), name="detail"),
    path("<int:pk>/edit/", views.ExposureUpdateView.as_view(), name="update"),
    path("<int:pk>/void/", views.ExposureVoidView.as_view(), name="void"),
    path("<int:pk>/history/", views.ExposureHistoryView.as_view(), name="history"),
]
