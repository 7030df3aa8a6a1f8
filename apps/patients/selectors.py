"""Reads of patients, always scoped to what the user may see."""
from django.shortcuts import get_object_or_404

from apps.accounts.roles import is_reviewer, scoped_site

from .models import Patient


def _scoped(user):
    """Every patient the user may open: a site-bound user sees only their site."""
    queryset = Patient.objects.select_related("site")
    site = scoped_site(user)
    return queryset.filter(site=site) if site is not None else queryset


def patient_list(*, user, include_voided=False):
    """Patients for listings: voided ones are hidden, except for reviewers who ask for them."""
    queryset = _scoped(user)
    if not (include_voided and is_reviewer(user)):
        queryset = queryset.filter(voided_at__isnull=True)
    return queryset


def patient_get(*, user, pk):
    """One patient the user may see (voided included); another site's patient is a 404."""
    return get_object_or_404(_scoped(user).select_related("voided_by"), pk=pk)


def patient_ids_with_ref(text, *, limit):
    """Ids of the patients whose reference contains `text`, or None if `limit` or more do.

    Listings of periods and reactions search by patient reference; a few ids found here (one scan of
    the reference index) let them read just those patients' rows instead of testing every row.
    """
    ids = list(Patient.objects.filter(patient_ref__icontains=text).values_list("pk", flat=True)[:limit])
    return ids if len(ids) < limit else None
