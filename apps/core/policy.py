"""The access policy's common part: who may use the application at all, and how a decision reads.

What no rule allows is denied. Every decision carries the reason shown on the one 403 page; the
per-record rules (who may edit, submit, review, void) live in each app's `policies.py` and are
called by the views, the action buttons, the services and the importer alike.
"""
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from apps.core.roles import Role, role_names

# Roles whose work is one site's records: such a user without a site is refused everything.
SITE_BOUND_ROLES = frozenset({Role.REPORTER})
CENTRAL_ROLES = frozenset({Role.REVIEWER, Role.ANALYST, Role.ADMIN})


@dataclass(frozen=True)
class Decision:
    """Allowed or not, and why not; truthy when allowed, so templates and `if` read it directly."""

    allowed: bool
    reason: str = ""

    def __bool__(self):
        return self.allowed

    def require(self):
        """Raise PermissionDenied with the reason when refused (the 403 page shows it)."""
        if not self.allowed:
            raise PermissionDenied(self.reason)
        return self


ALLOW = Decision(True)


def deny(reason) -> Decision:
    return Decision(False, reason)


def first_refusal(*decisions) -> Decision:
    """The first refusal among `decisions` (callables, evaluated in order), or ALLOW."""
    for decision in decisions:
        decision = decision() if callable(decision) else decision
        if not decision:
            return decision
    return ALLOW


def account_problem(user) -> str:
    """Why a signed-in account may use nothing at all ('' when it may)."""
    roles = role_names(user)
    if not roles:
        return _("Your account has no role in pv-tracker yet, so it can see no data. "
                 "Ask an administrator to give you a role (reporter, reviewer, analyst or admin).")
    if not roles & CENTRAL_ROLES and not user.site_id:
        return _("Your account is a reporter but is bound to no site, so it can see no data. "
                 "Ask an administrator to set your site.")
    return ""


def may_use(user) -> Decision:
    """Any signed-in account with a usable role (read pages: dashboard, listings, summaries).

    `user` None is the system itself (commands, tasks): role rules do not apply to it, record rules do.
    """
    if user is None:
        return ALLOW
    if not user.is_authenticated:
        return deny(_("Sign in first."))
    problem = account_problem(user)
    return deny(problem) if problem else ALLOW


def _role_in(user, roles, reason) -> Decision:
    if user is None:
        return ALLOW
    return first_refusal(may_use(user), ALLOW if role_names(user) & roles else deny(reason))


def may_enter_data(user) -> Decision:
    return _role_in(user, {Role.REPORTER, Role.REVIEWER, Role.ADMIN},
                    _("Your role can read data but cannot enter or change it."))


def may_review(user) -> Decision:
    return _role_in(user, {Role.REVIEWER, Role.ADMIN}, _("Only reviewers and administrators may do this."))


def may_run_reports(user) -> Decision:
    return _role_in(user, CENTRAL_ROLES, _("Aggregate reports are for analysts, reviewers and admins."))


def may_triage(user) -> Decision:
    """Received ICSRs belong to no site until a central reviewer decides what they become."""
    return first_refusal(may_review(user), ALLOW if user is None or not user.site_id
                         else deny(_("Only central reviewers and administrators receive and triage ICSRs.")))


def may_administer(user) -> Decision:
    return _role_in(user, {Role.ADMIN}, _("Only administrators may see this page."))


def needs_mfa(user) -> bool:
    """Reviewers and administrators sign and lock cases: their sign-in has a second factor (MFA_REQUIRED)."""
    return bool(role_names(user) & {Role.REVIEWER, Role.ADMIN})


def may_see_voided(user) -> bool:
    return bool(may_review(user))


# Site scope ---------------------------------------------------------------------------------

NOTHING = object()  # visible_site(): the user sees no record at all


def visible_site(user):
    """NOTHING, None (every site) or the id of the one site whose records the user may see."""
    if user is None:
        return None  # the system itself (commands, tasks)
    if not may_use(user):
        return NOTHING
    return user.site_id or None


def may_touch_site(user, site_id) -> Decision:
    """A site-bound user acts only on their own site's records."""
    if user is not None and user.site_id and user.site_id != site_id:
        return deny(_("This record belongs to another site."))
    return ALLOW


# Page rules, for the middleware -------------------------------------------------------------

PUBLIC = "public"  # login, logout, favicon: no account needed
# REST and FHIR views (Django REST framework): they authenticate the request themselves (a token or the
# session) and then apply these same rules per action (apps.api.policy.ActionPolicy, deny by default).
API = "api"
ADMIN_SITE = "admin"  # the Django admin: its own login and permissions, after the account check


def access(rule):
    """Declare the page rule of a view (function or class); a view without one is refused."""
    def mark(view):
        view.access = rule
        return view
    return mark


def public(view):
    return access(PUBLIC)(view)
