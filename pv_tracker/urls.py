from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.staticfiles.storage import staticfiles_storage
from django.urls import include, path
from django.views.generic import RedirectView

urlpatterns = [
    path("", include("apps.dashboard.urls")),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("patients/", include("apps.patients.urls")),
    path("exposures/", include("apps.exposures.urls")),
    path("reactions/", include("apps.reactions.urls")),
    path("reports/", include("apps.reports.urls")),
    path("summaries/", include("apps.summaries.urls")),
    path("e2b/", include("apps.e2b.urls")),
    path("imports/", include("apps.imports.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    # Pages without a <link rel="icon"> (admin, printable case form) still ask for /favicon.ico.
    path("favicon.ico", RedirectView.as_view(url=staticfiles_storage.url("favicon.svg"), permanent=True)),
]
