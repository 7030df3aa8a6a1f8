from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from apps.core.policy import API, access

from . import views

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("patients", views.PatientViewSet, basename="patient")
router.register("exposures", views.ExposureViewSet, basename="exposure")
router.register("reactions", views.ReactionViewSet, basename="reaction")
router.register("reports", views.ReportViewSet, basename="report")
router.register("reference-profiles", views.ReferenceProfileViewSet, basename="reference-profile")

app_name = "api"
urlpatterns = [
    path("v1/", include(router.urls)),
    path("schema/", access(API)(SpectacularAPIView.as_view()), name="schema"),
    path("docs/", access(API)(SpectacularSwaggerSplitView.as_view(url_name="api:schema")), name="docs"),
]
