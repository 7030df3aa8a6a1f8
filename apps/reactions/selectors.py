"""Reads of injection-site reactions, scoped through the patient's site."""
from django.db import connection
from django.db.models import F, Func, IntegerField, Max, Q
from django.db.models.lookups import Exact
from django.shortcuts import get_object_or_404

from apps.accounts.roles import can_enter_data, is_reviewer, scoped_site
from apps.patients.models import Patient
from apps.patients.selectors import patient_ids_with_ref

from .choices import SITE_EDITABLE, Status
from .models import InjectionSiteReaction, ReactionFollowUp

# Share of all patients above which a site's listing walks the onset index on SQLite (see at_site).
SQLITE_INDEX_WALK_SHARE = 0.05


def _scoped(user):
    """Every reaction the user may open: a site-bound user sees only their site's patients."""
    queryset = InjectionSiteReaction.objects.select_related("patient__site", "product")
    site = scoped_site(user)
    return queryset.filter(patient__site=site) if site is not None else queryset


def at_site(queryset, site):
    """The reactions of `queryset` at `site`, in a form SQLite can page through by the onset index.

    SQLite's planner ignores LIMIT: for `patient__site=site` it reads every reaction of the site's
    patients and sorts them (0.1-0.3 s for a tenth of a million reactions) instead of walking the
    listing's index until a page is full. Its unary `+` keeps the site condition off the indexes, so it
    walks the index, which is quick when the site holds a fair share of the patients (a page needs about
    25 / share rows) and slow for a small one, which keeps the plain filter and sorts its few rows.
    PostgreSQL weighs LIMIT itself and always gets the plain filter.
    """
    if connection.vendor != "sqlite":
        return queryset.filter(patient__site=site)
    # Two index-only reads (the last id stands for the number of patients).
    site_patients = Patient.objects.filter(site=site).count()
    last_id = Patient.objects.aggregate(last_id=Max("pk"))["last_id"] or 0
    if site_patients < SQLITE_INDEX_WALK_SHARE * last_id:
        return queryset.filter(patient__site=site)
    unindexed_site = Func(F("patient__site_id"), template="+%(expressions)s", output_field=IntegerField())
    return queryset.filter(Exact(unindexed_site, site.pk))


def reaction_list(*, user, include_voided=False):
    """Reactions for listings: voided ones (or of voided patients) only for reviewers who ask."""
    queryset = InjectionSiteReaction.objects.select_related("patient__site", "product")
    site = scoped_site(user)
    if site is not None:
        queryset = at_site(queryset, site)
    if not (include_voided and is_reviewer(user)):
        queryset = queryset.filter(voided_at__isnull=True, patient__voided_at__isnull=True)
    return queryset


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
        _scoped(user).select_related("reporter", "reviewed_by", "voided_by"),
        pk=pk)


def reaction_actions(*, user, reaction):
    """Which workflow buttons to show; mirrors the rules the services enforce."""
    live = not reaction.is_voided
    enters = can_enter_data(user)
    reviewer = is_reviewer(user)
    editable = live and enters and not reaction.is_locked and (reaction.status in SITE_EDITABLE or reviewer)
    open_follow_up = reaction_open_follow_up(reaction) if reaction.is_locked else None
    return {
        "edit": editable,
        "submit": live and enters and reaction.status in SITE_EDITABLE,
        "review": live and reviewer and reaction.status == Status.SUBMITTED,
        "return": live and reviewer and reaction.status == Status.SUBMITTED,
        "comment": live and enters,
        "follow_up": live and enters and reaction.is_locked and open_follow_up is None,
        "open_follow_up": open_follow_up,
        "void": live and (reviewer or (enters and reaction.status == Status.DRAFT)),
    }


def reaction_open_follow_up(reaction):
    """The follow-up of a locked case that is not locked yet, if any (at most one is open)."""
    return reaction.follow_ups.exclude(status=Status.REVIEWED).first()


def follow_up_get(*, user, pk):
    """One follow-up of a case the user may see; another site's is a 404."""
    reaction_ids = _scoped(user).values("pk")
    return get_object_or_404(ReactionFollowUp.objects.select_related("reaction__patient__site", "created_by")
                             .filter(reaction_id__in=reaction_ids), pk=pk)


def follow_up_actions(*, user, follow_up):
    live = not follow_up.reaction.is_voided
    enters, reviewer = can_enter_data(user), is_reviewer(user)
    return {
        "edit": live and enters and (follow_up.status in SITE_EDITABLE or
                                     (reviewer and follow_up.status == Status.SUBMITTED)),
        "submit": live and enters and follow_up.status in SITE_EDITABLE,
        "review": live and reviewer and follow_up.status == Status.SUBMITTED,
    }


def reporter_work(*, user, limit=10):
    """A reporter's dashboard: their own drafts, the site's cases returned with a question, their
    recent submissions (one query for the reactions, one for returned follow-ups)."""
    live = _scoped(user).filter(voided_at__isnull=True, patient__voided_at__isnull=True)
    recent = list(live.filter(Q(status=Status.RETURNED) | Q(reporter=user)).order_by("-updated_at")[:5 * limit])
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


def reactions_of_patient(*, user, patient):
    """A patient's reactions for their page: live ones, and voided ones too for reviewers."""
    queryset = _scoped(user).filter(patient=patient)
    return queryset if is_reviewer(user) else queryset.filter(voided_at__isnull=True)
