from . import roles as roles_module


def roles(request):
    """Role flags for templates, so menus show only what the user may use."""
    user = request.user
    return {
        "user_roles": sorted(roles_module.role_names(user)),
        "user_role_labels": [roles_module.ROLE_LABELS.get(name, name) for name in sorted(roles_module.role_names(user))],
        "can_enter_data": roles_module.can_enter_data(user),
        "can_review": roles_module.is_reviewer(user),
        "can_run_reports": roles_module.can_run_reports(user),
    }
