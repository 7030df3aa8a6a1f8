from apps.core.roles import ROLE_LABELS

from . import policy


def access(request):
    """The policy's page rules as flags for templates, so menus show only what the user may use."""
    user = request.user
    usable = user.is_authenticated and bool(policy.may_use(user))
    roles = sorted(policy.role_names(user)) if usable else []
    return {
        "user_roles": roles,
        "user_role_labels": [ROLE_LABELS.get(name, name) for name in roles],
        "can_enter_data": usable and bool(policy.may_enter_data(user)),
        "can_review": usable and bool(policy.may_review(user)),
        "can_run_reports": usable and bool(policy.may_run_reports(user)),
        "can_administer": usable and bool(policy.may_administer(user)),
    }
