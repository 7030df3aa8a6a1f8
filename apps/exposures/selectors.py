"""Reads of exposure periods, scoped through the patient's site (ExposurePeriod.objects.visible_to)."""
from django.shortcuts import get_object_or_404

from .models import ExposurePeriod


def exposure_list(*, user, include_voided=False):
    """Periods for listings: voided ones (or of voided patients) only for reviewers who ask."""
    return (ExposurePeriod.objects.select_related("patient__site", "product")
            .listed_for(user, include_voided=include_voided))


def exposure_get(*, user, pk):
    """One period the user may see (voided included); another site's period is a 404."""
    return get_object_or_404(ExposurePeriod.objects.visible_to(user)
                             .select_related("patient__site", "product", "voided_by"), pk=pk)


def latest_exposed_product(patient):
    """The product of the patient's most recent live exposure, to preselect on a new reaction."""
    period = (ExposurePeriod.objects.filter(patient=patient, voided_at__isnull=True)
              .select_related("product").order_by("-start_date").first())
    return period.product if period else None
