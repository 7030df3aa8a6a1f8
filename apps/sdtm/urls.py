from django.urls import path

from . import views

app_name = "sdtm"
urlpatterns = [path("reactions.zip", views.reactions_sdtm, name="reactions")]
