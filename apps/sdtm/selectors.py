from apps.reactions.filters import ReactionFilter
from apps.reactions.models import InjectionSiteReaction
from apps.reactions.selectors import reaction_list


def filtered_reactions(*, user, params):
    """The reactions the listing shows for these filters (same filter, same scoping; None = the command line).

    Returns (queryset or None when a filter value is invalid, the filter with its errors).
    """
    include_voided = params.get("include_voided") in ("on", "true", "1")
    if user is None:
        queryset = InjectionSiteReaction.objects.all()
        if not include_voided:
            queryset = queryset.filter(voided_at__isnull=True, patient__voided_at__isnull=True)
    else:
        queryset = reaction_list(user=user, include_voided=include_voided)
    flt = ReactionFilter(params, queryset=queryset)
    return (flt.qs if flt.is_valid() else None), flt
