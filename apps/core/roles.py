"""Roles are Django groups (created by the accounts migrations); what each role may do is decided by the
access policy (apps.core.policy)."""
from enum import StrEnum

from django.utils.translation import gettext_lazy as _


class Role(StrEnum):
    REPORTER = "reporter"
    REVIEWER = "reviewer"
    ANALYST = "analyst"
    ADMIN = "admin"


ROLE_LABELS = {"reporter": _("reporter"), "reviewer": _("reviewer"), "analyst": _("analyst"), "admin": _("admin")}


def role_names(user):
    """The user's role names, cached on the user object for the request."""
    if not user.is_authenticated:
        return set()
    if not hasattr(user, "_role_names"):
        user._role_names = set(user.groups.values_list("name", flat=True))
        if user.is_superuser:
            user._role_names |= {role.value for role in Role}
    return user._role_names


def scoped_site(user):
    """The site this user is restricted to, or None for central staff who see all sites."""
    return user.site if user.site_id else None
