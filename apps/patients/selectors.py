"""Reads of patients, always scoped to what the user may see (Patient.objects.visible_to)."""
from django.shortcuts import get_object_or_404

from .models import Patient


def patient_list(*, user, include_voided=False):
    """Patients for listings: voided ones are hidden, except for reviewers who ask for them."""
    return Patient.objects.select_related("site").listed_for(user, include_voided=include_voided)


def patient_get(*, user, pk):
    """One patient the user may see (voided included); another site's patient is a 404."""
    return get_object_or_404(Patient.objects.visible_to(user).select_related("site", "voided_by"), pk=pk)


def patient_ids_with_ref(text, *, limit):
    """Ids of the patients whose reference contains `text`, or None if `limit` or more do.

    Listings of periods and reactions search by patient reference; a few ids found here (one scan of
    the reference index) let them read just those patients' rows instead of testing every row.
    """
    ids = list(Patient.objects.filter(patient_ref__icontains=text).values_list("pk", flat=True)[:limit])
    return ids if len(ids) < limit else None
