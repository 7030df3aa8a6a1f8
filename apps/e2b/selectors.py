"""Reads of the E2B app: cases in the user's scope, exposures a message reports, export history."""
from django.shortcuts import get_object_or_404

from apps.exposures.models import ExposurePeriod
from apps.reactions.models import InjectionSiteReaction

from .models import E2bExport


def scoped_reactions(user):
    """Reactions the user may see: a site-bound user sees only their site's cases."""
    return InjectionSiteReaction.objects.visible_to(user).select_related("patient__site", "product")


def case_get(*, user, pk):
    """One case the user may see; another site's case is a 404, not a 403."""
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
    return (scoped_reactions(user).live().filter(status="reviewed")
            .order_by("-onset_date", "reaction_ref"))
