"""Who may call which API action: the web's page rules (apps.core.policy), named per action.

Every view names, per action, a rule from RULES; an action without one is denied (deny by
default). The services check the record rules again, so the API can never allow what a page
would not. The views declare the page rule API: the middleware leaves them to this class, because
a token is only read by the view's own authentication.
"""
from rest_framework.permissions import BasePermission

from apps.core.policy import may_enter_data, may_run_reports, may_use

RULES = {
    "read": may_use,
    "enter_data": may_enter_data,
    "reports": may_run_reports,
}


class MayUse(BasePermission):
    """The schema and its documentation: any account with a usable role."""

    def has_permission(self, request, view):
        user = request.user
        decision = may_use(user) if user and user.is_authenticated else None
        if decision is not None and not decision:
            self.message = decision.reason
        return bool(decision)


class ActionPolicy(BasePermission):
    """`view.action_rules` maps an action name to a RULES key; anything else is refused."""

    message = "Your role does not allow this action."

    def has_permission(self, request, view):
        user = request.user
        if not (user and user.is_authenticated):
            return False
        usable = may_use(user)
        if not usable:  # an account with no usable role is refused everything, whatever the method
            self.message = usable.reason
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
        rule = "read" if action == "metadata" else getattr(view, "action_rules", {}).get(action)
        if rule is None:
            return False
        decision = RULES[rule](user)
        if not decision:
            self.message = decision.reason
        return bool(decision)
