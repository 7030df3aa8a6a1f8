"""The access log page, for administrators."""
from django.core.paginator import Paginator
from django.shortcuts import render

from apps.core.policy import access, may_administer

from .models import AccessEvent, AccessKind

PER_PAGE = 100


@access(may_administer)
def access_log(request):
    events = AccessEvent.objects.select_related("user")
    kind = request.GET.get("kind", "")
    if kind in AccessKind.values:
        events = events.filter(kind=kind)
    page = Paginator(events, PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "audit/access_log.html", {"page": page, "kinds": AccessKind.choices, "kind": kind})
