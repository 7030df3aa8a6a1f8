from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from apps.accounts.roles import role_names

from .datasets import sdtm_datasets
from .selectors import filtered_reactions
from .xpt import zip_bytes


@login_required
@require_GET
def reactions_sdtm(request):
    """AE, EX and SUPPAE (SAS transport v5, zipped) of exactly what the reactions listing shows for these filters."""
    if not role_names(request.user):
        raise PermissionDenied("Your account has no role in pv-tracker.")
    reactions, flt = filtered_reactions(user=request.user, params=request.GET)
    listing = f"{reverse('reactions:list')}?{request.GET.urlencode()}"
    if reactions is None:
        messages.error(request, "Fix the filters before exporting: " + "; ".join(
            f"{name}: {' '.join(errors)}" for name, errors in flt.errors.items()))
        return redirect(listing)
    if settings.EXPORT_MAX_ROWS and reactions.count() > settings.EXPORT_MAX_ROWS:  # 0: no limit
        messages.error(request, f"The SDTM export would hold more than {settings.EXPORT_MAX_ROWS:,} reactions; "
                                "narrow it with the filters.")
        return redirect(listing)
    response = HttpResponse(zip_bytes(sdtm_datasets(reactions)), content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="sdtm-{timezone.localdate().isoformat()}.zip"'
    return response
