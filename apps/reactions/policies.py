"""Who may do what to a reaction (case): one function per action, for views, buttons, services and the importer."""
from apps.audit.models import ComplianceSettings
from apps.core.policy import ALLOW, deny, first_refusal, may_enter_data, may_review, may_touch_site
from apps.patients.policies import may_add_records

from .choices import Status


def _live(reaction):
    if reaction.is_voided:
        return deny("The reaction is voided; voided records cannot be changed.")
    if reaction.patient.is_voided:
        return deny("The patient is voided; nothing of a voided patient can be edited, submitted, reviewed "
                    "or exported.")
    return ALLOW


def _in_scope(user, reaction):
    return may_touch_site(user, reaction.patient.site_id)


def may_create(user, patient):
    return may_add_records(user, patient)


def may_edit(user, reaction):
    def workflow():
        if reaction.status == Status.REVIEWED:
            return deny("The reaction is reviewed and locked; it can no longer be edited.")
        if reaction.status != Status.DRAFT and not may_review(user):
            return deny("Only drafts can be edited by reporters; ask a reviewer.")
        return ALLOW
    return first_refusal(may_enter_data(user), _in_scope(user, reaction), _live(reaction), workflow)


def may_submit(user, reaction):
    return first_refusal(may_enter_data(user), _in_scope(user, reaction), _live(reaction),
                         ALLOW if reaction.status == Status.DRAFT else deny("Only a draft can be submitted."))


def four_eyes(user, reaction):
    """The reviewer who locks a case is not the person who entered or submitted it, unless an administrator
    allowed it for a one-person site (ComplianceSettings.allow_self_review)."""
    if user is None or user.pk not in (reaction.reporter_id, reaction.submitted_by_id):
        return ALLOW
    if ComplianceSettings.current().allow_self_review:
        return ALLOW
    return deny("Four eyes: you entered or submitted this case, so another reviewer must review and lock it.")


def may_review_case(user, reaction):
    return first_refusal(may_review(user), _in_scope(user, reaction), _live(reaction),
                         ALLOW if reaction.status == Status.SUBMITTED
                         else deny("Only a submitted, live reaction can be reviewed."),
                         lambda: four_eyes(user, reaction))


def may_void(user, reaction):
    def role():
        if may_review(user) or reaction.status == Status.DRAFT:
            return ALLOW
        return deny("Only reviewers can void a submitted or reviewed reaction.")
    already = deny("The reaction is already voided.") if reaction.is_voided else ALLOW
    return first_refusal(may_enter_data(user), _in_scope(user, reaction), already, role)


def may_export(user, reaction):
    """Send the case as an E2B(R3) ICSR."""
    return first_refusal(may_review(user), _in_scope(user, reaction), _live(reaction))


def actions(user, reaction) -> dict:
    """The decisions behind the case page's buttons (the services ask the same functions)."""
    return {"edit": may_edit(user, reaction), "submit": may_submit(user, reaction),
            "review": may_review_case(user, reaction), "void": may_void(user, reaction),
            "export": may_export(user, reaction)}
