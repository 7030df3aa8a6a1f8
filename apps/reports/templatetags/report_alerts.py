"""The alert banner: scheduled reports whose figures differ significantly from the reference."""
from django import template

from apps.core.policy import may_run_reports

from .. import selectors

register = template.Library()


@register.simple_tag(takes_context=True)
def report_alerts(context):
    """Latest alerting scheduled report per product, for central report users (scheduled reports cover all
    sites, which a site-bound user may not see)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or user.site_id or not may_run_reports(user):
        return []
    return selectors.latest_alerting_reports()


@register.filter
def percent(value, digits=1):
    if value is None:
        return "—"
    return f"{value * 100:.{digits}f}%"


@register.filter
def number(value, digits=2):
    if value is None:
        return "—"
    if isinstance(value, int):
        return str(value)
    return f"{value:.{digits}f}"


@register.filter
def pvalue(value):
    if value is None:
        return "—"
    return "< 0.0001" if value < 0.0001 else f"{value:.4f}"
