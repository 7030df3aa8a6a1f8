"""Reads of exposure periods, scoped through the patient's site."""
from django.shortcuts import get_object_or_404

from apps.accounts.roles import is_reviewer, scoped_site

from .models import ExposurePeriod


def _scoped(user):
    """Every period the user may open: a site-bound user sees only their site's patients."""
    queryset = ExposurePeriod.objects.select_related("patient__site", "product")
    site = scoped_site(user)
    return queryset.filter(patient__site=site) if site is not None else queryset


def exposure_list(*, user, include_voided=False):
    """Periods for listings: voided ones (or of voided patients) only for reviewers who ask."""
    queryset = _scoped(user)
    if not (include_voided and is_reviewer(user)):
        queryset = queryset.filter(voided_at__isnull=True, patient__voided_at__isnull=True)
    return queryset


def exposure_get(*, user, pk):
    """One period the user may see (voided included); another site's period is a 404."""
    return get_object_or_404(_scoped(user).select_related("voided_by"), pk=pk)


def latest_exposed_product(patient):
    """The product of the patient's most recent live exposure, to preselect on a new reaction."""
    period = (ExposurePeriod.objects.filter(patient=patient, voided_at__isnull=True)
              .select_related("product").order_by("-start_date").first())
    return period.product if period else None


def exposures_of_patient(*, user, patient):
    """A patient's periods for their page: live ones, and voided ones too for reviewers."""
    queryset = _scoped(user).filter(patient=patient).order_by("product__code", "start_date")
    return queryset if is_reviewer(user) else queryset.filter(voided_at__isnull=True)
