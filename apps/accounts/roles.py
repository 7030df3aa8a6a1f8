"""Roles are Django groups; this module is the one place that decides who may do what."""
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


def is_reporter(user):
    return Role.REPORTER in role_names(user)


def is_reviewer(user):
    return bool(role_names(user) & {Role.REVIEWER, Role.ADMIN})


def is_analyst(user):
    return bool(role_names(user) & {Role.ANALYST, Role.REVIEWER, Role.ADMIN})


def can_enter_data(user):
    return bool(role_names(user) & {Role.REPORTER, Role.REVIEWER, Role.ADMIN})


def can_run_reports(user):
    return bool(role_names(user) & {Role.ANALYST, Role.ADMIN, Role.REVIEWER})


def scoped_site(user):
    """The site this user is restricted to, or None for central staff who see all sites."""
    return user.site if user.site_id else None
