"""Per-address login throttling, beside django-axes' lockout of a username from an address: one address
that fails LOGIN_FAILURES_PER_IP logins (whatever the usernames) within the window is refused logins
until the window passes, so a password spray from one address gets a handful of tries, not thousands."""
from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.signals import user_login_failed
from django.core.cache import cache
from django.dispatch import receiver
from django.shortcuts import render

from apps.core.policy import public


def _key(request):
    return f"pv:login-failures:{request.META.get('REMOTE_ADDR', '')}"


def failures(request):
    return cache.get(_key(request), 0)


@receiver(user_login_failed)
def count_failure(sender, credentials, request=None, **kwargs):
    if request is None:
        return
    key = _key(request)
    if cache.add(key, 1, timeout=settings.LOGIN_FAILURE_WINDOW_SECONDS):
        return
    try:
        cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=settings.LOGIN_FAILURE_WINDOW_SECONDS)


@public
class ThrottledLoginView(auth_views.LoginView):
    def post(self, request, *args, **kwargs):
        if failures(request) >= settings.LOGIN_FAILURES_PER_IP:
            minutes = settings.LOGIN_FAILURE_WINDOW_SECONDS // 60
            return render(request, "registration/throttled.html", {"minutes": minutes}, status=429)
        return super().post(request, *args, **kwargs)
