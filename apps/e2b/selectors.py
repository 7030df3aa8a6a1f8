"""Reads of the E2B app: cases in the user's scope, exposures a message reports, export history."""
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404

from apps.accounts.roles import role_names
from apps.exposures.models import ExposurePeriod
from apps.reactions.models import InjectionSiteReaction

from .models import E2bExport


def scoped_reactions(user):
    """Reactions the user may see: a site-bound user sees only their site's cases."""
    queryset = InjectionSiteReaction.objects.select_related("patient__site", "product")
    if user is not None and user.site_id:
        queryset = queryset.filter(patient__site_id=user.site_id)
    return queryset


def case_get(*, user, pk):
    """One case for a user with any role; another site's case is a 404, not a 403."""
    if not role_names(user):
        raise PermissionDenied("Your account has no role in pv-tracker.")
    return get_object_or_404(scoped_reactions(user), pk=pk)


def exported_exposures(reaction):
    """The live exposure periods to the product that started on or before the onset, oldest first."""
    return list(ExposurePeriod.objects
                .filter(patient_id=reaction.patient_id, product_id=reaction.product_id, voided_at__isnull=True,
                        start_date__lte=reaction.onset_date)
                .order_by("start_date"))


def case_exports(reaction):
    return E2bExport.objects.filter(reaction=reaction).select_related("created_by")


def exportable_reactions(user):
    """Cases a batch export can offer: live, reviewed (locked) cases."""
    return (scoped_reactions(user).filter(voided_at__isnull=True, status="reviewed")
            .order_by("-onset_date", "reaction_ref"))
