from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.staticfiles.storage import staticfiles_storage
from django.urls import include, path
from django.views import i18n as i18n_views
from django.views.generic import RedirectView

from apps.accounts.mfa import mfa_setup, mfa_verify
from apps.accounts.throttle import ThrottledLoginView
from apps.core.policy import access, may_use, public


def set_language(request):
    """Django's switcher (a cookie), and for a signed-in user their language for e-mails as well."""
    response = i18n_views.set_language(request)
    language = request.POST.get("language", "")
    user = request.user
    if request.method == "POST" and user.is_authenticated and language in dict(settings.LANGUAGES) \
            and user.language != language:
        user.language = language
        user.save(update_fields=["language"])
    return response


handler403 = "apps.core.views.permission_denied"

urlpatterns = [
    path("", include("apps.dashboard.urls")),
    path("accounts/login/", ThrottledLoginView.as_view(), name="login"),
    path("accounts/mfa/setup/", mfa_setup, name="mfa_setup"),
    path("accounts/mfa/verify/", mfa_verify, name="mfa_verify"),
    path("accounts/password/", access(may_use)(auth_views.PasswordChangeView.as_view()), name="password_change"),
    path("accounts/password/done/", access(may_use)(auth_views.PasswordChangeDoneView.as_view()),
         name="password_change_done"),
    path("accounts/logout/", public(auth_views.LogoutView.as_view()), name="logout"),
    path("patients/", include("apps.patients.urls")),
    path("exposures/", include("apps.exposures.urls")),
    path("reactions/", include("apps.reactions.urls")),
    path("reports/", include("apps.reports.urls")),
    path("summaries/", include("apps.summaries.urls")),
    path("e2b/", include("apps.e2b.urls")),
    path("audit/", include("apps.core.access_log")),
    path("imports/", include("apps.imports.urls")),
    # The language switcher only sets a cookie: everyone may use it, the login page included.
    path("i18n/setlang/", public(set_language), name="set_language"),
    path("clocks/", include("apps.clocks.urls")),
    path("sdtm/", include("apps.sdtm.urls")),
    path("api/", include("apps.api.urls")),
    path("fhir/", include("apps.fhir.urls")),
    path("admin/", admin.site.urls),
    # Pages without a <link rel="icon"> (admin, printable case form) still ask for /favicon.ico.
    path("favicon.ico", public(RedirectView.as_view(url=staticfiles_storage.url("favicon.svg"), permanent=True))),
]
