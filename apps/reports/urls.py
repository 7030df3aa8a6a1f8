from django.urls import path

from . import views

app_name = "reports"
urlpatterns = [
    path("", views.report_list, name="list"),
    path("new/", views.report_run_now, name="run"),
    path("schedules/<slug:product_code>/", views.report_schedule, name="schedule"),
    path("<int:pk>/", views.report_detail, name="detail"),
    path("<int:pk>/status.json", views.report_status, name="status"),
    path("<int:pk>/report.json", views.report_download_json, name="download_json"),
    path("<int:pk>/report.csv", views.report_download_csv, name="download_csv"),
]
