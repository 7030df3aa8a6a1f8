"""Who may call which API action: the one place the API decides, on the web's role rules.

Every view names, per action, a rule from RULES; an action without one is denied (deny by
default). The rules are the web's own (apps.accounts.roles) and the services check again, so
the API can never allow what a page would not. When the shared access-policy module lands,
only this file changes.
"""
from rest_framework.permissions import BasePermission

from apps.accounts.roles import can_enter_data, can_run_reports, role_names

RULES = {
    "read": lambda user: bool(role_names(user)),
    "enter_data": can_enter_data,
    "reports": can_run_reports,
}


class ActionPolicy(BasePermission):
    """`view.action_rules` maps an action name to a RULES key; anything else is refused."""

    message = "Your role does not allow this action."

    def has_permission(self, request, view):
        user = request.user
        if not (user and user.is_authenticated):
            return False
        action_map = getattr(view, "action_map", None)
        if action_map is None:  # a plain APIView: rules per HTTP method
            action = request.method.lower()
            if not hasattr(view, action):
                return True  # a method the view does not have: DRF answers 405, nothing runs
        else:
            action = getattr(view, "action", None)
            if action is None and request.method.lower() not in action_map:
                return True  # a method the endpoint does not have: DRF answers 405, nothing runs
        if action == "metadata":  # OPTIONS describes the endpoint to whoever may read it
            return RULES["read"](user)
        rule = getattr(view, "action_rules", {}).get(action)
        return rule is not None and RULES[rule](user)
