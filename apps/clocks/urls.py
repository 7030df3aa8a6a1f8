from django.urls import path

from . import views

app_name = "clocks"
urlpatterns = [path("", views.queue, name="queue")]
