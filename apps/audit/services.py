"""Writing the access log (one entry per export, download, login, failed login, logout)."""
from .models import AccessEvent, AccessKind


def client_ip(request):
    """REMOTE_ADDR: behind the compose proxy it is the proxy's view of the client (see settings)."""
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def log_access(request, *, kind, what="", rows=None, user=None, username=""):
    user = user if user is not None else getattr(request, "user", None)
    if user is not None and not user.is_authenticated:
        user = None
    query = request.META.get("QUERY_STRING", "") if request is not None and kind == AccessKind.EXPORT else ""
    return AccessEvent.objects.create(
        kind=kind, user=user, username=(user.get_username() if user else username)[:150], what=what[:300],
        filter=query[:2000], rows=rows, ip_address=client_ip(request))


def log_download(request, *, what, rows=None):
    return log_access(request, kind=AccessKind.DOWNLOAD, what=what, rows=rows)


def log_export(request, *, what, rows):
    return log_access(request, kind=AccessKind.EXPORT, what=what, rows=rows)
