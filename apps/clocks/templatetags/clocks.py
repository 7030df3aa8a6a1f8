from django import template

from apps.clocks.selectors import case_clock

register = template.Library()


@register.inclusion_tag("clocks/_case_clock.html")
def reaction_clock(reaction):
    """The regulatory clock of a case, for its page."""
    return {"clock": case_clock(reaction)}
