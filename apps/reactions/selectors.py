"""Reads of injection-site reactions, scoped through the patient's site."""
from django.db.models import Q
from django.shortcuts import get_object_or_404

from apps.patients.selectors import patient_ids_with_ref

from .choices import SITE_EDITABLE, Status
from .models import InjectionSiteReaction, ReactionFollowUp


def reaction_list(*, user, include_voided=False):
    """Reactions for listings: voided ones (or of voided patients) only for reviewers who ask."""
    return (InjectionSiteReaction.objects.select_related("patient__site", "product")
            .listed_for(user, include_voided=include_voided))


# A search text met by fewer rows than this is looked up first (see matching_ref).
SEARCH_PROBE_REACTIONS = 500
SEARCH_PROBE_PATIENTS = 50


def matching_ref(queryset, text):
    """The reactions of `queryset` whose reference or patient's reference contains `text`.

    A text that few rows contain (the usual search for one case or patient) is looked up first, in the
    reference indexes, and the page sorts those few ids: testing it row by row while walking the onset
    index would read every reaction to fill one page (4-10 s at a million on SQLite). A text that many
    rows contain (a site prefix) is left to that walk, which then fills a page quickly.
    """
    reaction_ids = list(InjectionSiteReaction.objects.filter(reaction_ref__icontains=text)
                        .values_list("pk", flat=True)[:SEARCH_PROBE_REACTIONS])
    patient_ids = patient_ids_with_ref(text, limit=SEARCH_PROBE_PATIENTS)
    if len(reaction_ids) < SEARCH_PROBE_REACTIONS and patient_ids is not None:
        return queryset.filter(Q(pk__in=reaction_ids) | Q(patient_id__in=patient_ids))
    return queryset.filter(Q(reaction_ref__icontains=text) | Q(patient__patient_ref__icontains=text))


def reaction_get(*, user, pk):
    """One reaction the user may see (voided included); another site's reaction is a 404."""
    return get_object_or_404(
        InjectionSiteReaction.objects.visible_to(user)
        .select_related("patient__site", "product", "reporter", "reviewed_by", "voided_by"),
        pk=pk)


def reaction_open_follow_up(reaction):
    """The follow-up of a locked case that is not locked yet, if any (at most one is open)."""
    return reaction.follow_ups.exclude(status=Status.REVIEWED).first()


def follow_up_get(*, user, pk):
    """One follow-up of a case the user may see; another site's is a 404."""
    reaction_ids = InjectionSiteReaction.objects.visible_to(user).values("pk")
    return get_object_or_404(ReactionFollowUp.objects.select_related("reaction__patient__site", "created_by")
                             .filter(reaction_id__in=reaction_ids), pk=pk)


def reporter_work(*, user, limit=10):
    """A reporter's dashboard: their own drafts, the site's cases returned with a question, their
    recent submissions (one query for the reactions, one for returned follow-ups)."""
    live = InjectionSiteReaction.objects.visible_to(user).live()
    recent = list(live.filter(Q(status=Status.RETURNED) | Q(reporter=user)).select_related("patient")
                  .order_by("-updated_at")[:5 * limit])
    returned = sorted((r for r in recent if r.status == Status.RETURNED), key=lambda r: r.updated_at)
    return {
        "drafts": [r for r in recent if r.status == Status.DRAFT and r.reporter_id == user.pk][:limit],
        "returned": returned[:limit],
        "returned_follow_ups": list(ReactionFollowUp.objects.filter(
            status=Status.RETURNED, reaction__in=live).select_related("reaction__patient")[:limit]),
        "submitted": [r for r in recent if r.status not in SITE_EDITABLE and r.reporter_id == user.pk][:limit],
    }


def reaction_comments(reaction):
    return reaction.comments.select_related("author", "follow_up")
