"""Deny by default: every resolved view must declare its page rule (apps.core.policy.access); sessions
end after inactivity and after an absolute lifetime."""
import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db import OperationalError
from django.shortcuts import render
from django.utils.cache import patch_cache_control

from . import policy

NO_RULE = "This page declares no access rule, so it is refused (deny by default)."


def page_rule(view_func, resolver_match):
    if resolver_match is not None and resolver_match.app_name == "admin":
        return policy.ADMIN_SITE
    rule = getattr(view_func, "access", None)
    view_class = getattr(view_func, "view_class", None) or getattr(view_func, "cls", None)  # Django, DRF
    if rule is None and view_class is not None:
        rule = getattr(view_class, "access", None)
    return rule


class AccessPolicyMiddleware:
    """Anonymous users go to the login page; accounts with no usable role get the 403 page
    saying why; every other request must pass the view's declared rule."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.user.is_authenticated:
            # Pages and files of a signed-in user hold patient data: never kept by a browser or proxy cache.
            patch_cache_control(response, no_store=True, private=True)
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        rule = page_rule(view_func, request.resolver_match)
        if rule in (policy.PUBLIC, policy.API):
            return None
        if rule is None:
            raise PermissionDenied(NO_RULE)
        user = request.user
        if not user.is_authenticated:
            return None if rule == policy.ADMIN_SITE else redirect_to_login(request.get_full_path())
        problem = policy.account_problem(user)
        if problem:
            raise PermissionDenied(problem)
        if rule != policy.ADMIN_SITE:
            rule(user).require()
        return None


@receiver(user_logged_in)
def start_session_clock(sender, request, user, **kwargs):
    """Stamp the login in the new session (saved with it: no extra write on the first page)."""
    if request is not None and hasattr(request, "session"):
        now = time.time()
        request.session["pv_login_at"] = request.session["pv_seen_at"] = now


class SessionLifetimeMiddleware:
    """End a session after SESSION_IDLE_TIMEOUT_SECONDS without a request, and in any case
    SESSION_ABSOLUTE_LIFETIME_SECONDS after its login; the user signs in again."""

    TOUCH_EVERY_SECONDS = 60  # write the last-seen time at most once a minute

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            now = time.time()
            started = request.session.setdefault("pv_login_at", now)
            seen = request.session.get("pv_seen_at", now)
            expired = (now - seen > settings.SESSION_IDLE_TIMEOUT_SECONDS
                       or now - started > settings.SESSION_ABSOLUTE_LIFETIME_SECONDS)
            if expired:
                logout(request)
                messages.info(request, "Your session ended (inactivity or its 12-hour limit): sign in again.")
                return redirect_to_login(request.get_full_path())
            if now - seen >= self.TOUCH_EVERY_SECONDS:
                request.session["pv_seen_at"] = now
        return self.get_response(request)


def database_is_busy(exc):
    """True for SQLite's 'database is locked' / 'busy' after the busy timeout (another writer holds it)."""
    text = str(exc).lower()
    return isinstance(exc, OperationalError) and ("locked" in text or "busy" in text)


class DatabaseBusyMiddleware:
    """A write that meets a database held by a long writer (an import on SQLite) gets a clear page asking
    to try again (503 with Retry-After); its transaction was rolled back, so nothing is half written."""

    RETRY_AFTER_SECONDS = 10

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not database_is_busy(exception):
            return None
        response = render(request, "core/busy.html", {"retry_after": self.RETRY_AFTER_SECONDS}, status=503)
        response["Retry-After"] = str(self.RETRY_AFTER_SECONDS)
        return response
