"""Reads of injection-site reactions, scoped through the patient's site."""
from django.shortcuts import get_object_or_404

from apps.accounts.roles import can_enter_data, is_reviewer, scoped_site

from .choices import Status
from .models import InjectionSiteReaction


def _scoped(user):
    """Every reaction the user may open: a site-bound user sees only their site's patients."""
    queryset = InjectionSiteReaction.objects.select_related("patient__site", "product")
    site = scoped_site(user)
    return queryset.filter(patient__site=site) if site is not None else queryset


def reaction_list(*, user, include_voided=False):
    """Reactions for listings: voided ones (or of voided patients) only for reviewers who ask."""
    queryset = _scoped(user)
    if not (include_voided and is_reviewer(user)):
        queryset = queryset.filter(voided_at__isnull=True, patient__voided_at__isnull=True)
    return queryset


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
    editable = live and enters and not reaction.is_locked and (reaction.status == Status.DRAFT or reviewer)
    return {
        "edit": editable,
        "submit": live and enters and reaction.status == Status.DRAFT,
        "review": live and reviewer and reaction.status == Status.SUBMITTED,
        "void": live and (reviewer or (enters and reaction.status == Status.DRAFT)),
    }


def reactions_of_patient(*, user, patient):
    """A patient's reactions for their page: live ones, and voided ones too for reviewers."""
    queryset = _scoped(user).filter(patient=patient)
    return queryset if is_reviewer(user) else queryset.filter(voided_at__isnull=True)
