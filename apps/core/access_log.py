"""The access log page, for administrators (at /audit/, URL namespace "audit")."""
from django.core.paginator import Paginator
from django.shortcuts import render
from django.urls import path

from apps.audit.models import AccessEvent, AccessKind

from .policy import access, may_administer

PER_PAGE = 100


@access(may_administer)
def access_log(request):
    events = AccessEvent.objects.select_related("user")
    kind = request.GET.get("kind", "")
    if kind in AccessKind.values:
        events = events.filter(kind=kind)
    page = Paginator(events, PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "audit/access_log.html", {"page": page, "kinds": AccessKind.choices, "kind": kind})


app_name = "audit"
urlpatterns = [path("", access_log, name="access_log")]
