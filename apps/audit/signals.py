from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from .models import AccessKind
from .services import log_access


@receiver(user_logged_in)
def logged_in(sender, request, user, **kwargs):
    if request is not None:  # force_login in tests passes a request too; the shell does not
        log_access(request, kind=AccessKind.LOGIN, user=user, what=request.path)


@receiver(user_logged_out)
def logged_out(sender, request, user, **kwargs):
    if request is not None and user is not None:
        log_access(request, kind=AccessKind.LOGOUT, user=user, what=request.path)


@receiver(user_login_failed)
def login_failed(sender, credentials, request=None, **kwargs):
    log_access(request, kind=AccessKind.LOGIN_FAILED, user=None, username=str(credentials.get("username", "")),
               what=getattr(request, "path", ""))
