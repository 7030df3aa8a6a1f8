from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.views.decorators.http import require_GET

from apps.accounts.roles import role_names

from .selectors import clock_queue


@login_required
@require_GET
def queue(request):
    if not role_names(request.user):
        raise PermissionDenied("Your account has no role in pv-tracker.")
    return render(request, "clocks/queue.html", {"clocks": clock_queue(user=request.user)})
