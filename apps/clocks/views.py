from django.shortcuts import render
from django.views.decorators.http import require_GET

from apps.core.policy import access, may_use

from .selectors import clock_queue


@access(may_use)
@require_GET
def queue(request):
    return render(request, "clocks/queue.html", {"clocks": clock_queue(user=request.user)})
