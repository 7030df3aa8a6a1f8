from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from apps.core.downloads import download
from apps.core.policy import access, may_use

from .datasets import sdtm_datasets
from .selectors import filtered_reactions
from .xpt import zip_bytes


@access(may_use)
@require_GET
def reactions_sdtm(request):
    """AE, EX and SUPPAE (SAS transport v5, zipped) of exactly what the reactions listing shows for these filters."""
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
    return download(request, zip_bytes(sdtm_datasets(reactions)), content_type="application/zip",
                    filename=f"sdtm-{timezone.localdate().isoformat()}.zip", rows=reactions.count())
