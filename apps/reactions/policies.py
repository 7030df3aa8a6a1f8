"""Who may do what to a reaction (case): one function per action, for views, buttons, services and the importer."""
from django.utils.translation import gettext as _

from apps.audit.models import ComplianceSettings
from apps.core.policy import ALLOW, deny, first_refusal, may_enter_data, may_review, may_touch_site
from apps.patients.policies import may_add_records

from .choices import SITE_EDITABLE, Status


def _live(reaction):
    if reaction.is_voided:
        return deny(_("The reaction is voided; voided records cannot be changed."))
    if reaction.patient.is_voided:
        return deny(_("The patient is voided; nothing of a voided patient can be edited, submitted, reviewed "
                    "or exported."))
    return ALLOW


def _in_scope(user, reaction):
    return may_touch_site(user, reaction.patient.site_id)


def may_create(user, patient):
    return may_add_records(user, patient)


def may_edit(user, reaction):
    def workflow():
        if reaction.status == Status.REVIEWED:
            return deny(_("The reaction is reviewed and locked; it can no longer be edited."))
        if reaction.status not in SITE_EDITABLE and not may_review(user):
            return deny(_("Only drafts and returned cases can be edited by reporters; ask a reviewer."))
        return ALLOW
    return first_refusal(may_enter_data(user), _in_scope(user, reaction), _live(reaction), workflow)


def may_submit(user, reaction):
    return first_refusal(may_enter_data(user), _in_scope(user, reaction), _live(reaction),
                         ALLOW if reaction.status in SITE_EDITABLE
                         else deny(_("Only a draft or a returned case can be submitted.")))


def _four_eyes(user, authors, refusal):
    """The reviewer who locks is none of `authors` (user ids), unless an administrator allowed it for a
    one-person site (ComplianceSettings.allow_self_review)."""
    if user is None or user.pk not in authors:
        return ALLOW
    if ComplianceSettings.current().allow_self_review:
        return ALLOW
    return deny(refusal)


def four_eyes(user, reaction):
    """The reviewer who locks a case is not the person who entered or submitted it."""
    return _four_eyes(user, (reaction.reporter_id, reaction.submitted_by_id),
                      _("Four eyes: you entered or submitted this case, so another reviewer must review and lock it."))


def may_review_case(user, reaction):
    return first_refusal(may_review(user), _in_scope(user, reaction), _live(reaction),
                         ALLOW if reaction.status == Status.SUBMITTED
                         else deny(_("Only a submitted, live reaction can be reviewed.")),
                         lambda: four_eyes(user, reaction))


def may_void(user, reaction):
    def role():
        if may_review(user) or reaction.status == Status.DRAFT:
            return ALLOW
        return deny(_("Only reviewers can void a submitted or reviewed reaction."))
    already = deny(_("The reaction is already voided.")) if reaction.is_voided else ALLOW
    return first_refusal(may_enter_data(user), _in_scope(user, reaction), already, role)


def may_export(user, reaction):
    """Send the case as an E2B(R3) ICSR."""
    return first_refusal(may_review(user), _in_scope(user, reaction), _live(reaction))


def may_send_correction(user, reaction):
    """Nullify or amend an ICSR already sent: a voided case is nullified, so it need not be live
    (the export service refuses a case never sent and an amendment of a voided case)."""
    return first_refusal(may_review(user), _in_scope(user, reaction))


def may_return(user, reaction):
    """Send a submitted case back to its site with a question."""
    return first_refusal(may_review(user), _in_scope(user, reaction), _live(reaction),
                         ALLOW if reaction.status == Status.SUBMITTED
                         else deny(_("Only a submitted, live case can be returned to the site.")))


def may_comment(user, reaction):
    """Comment on a case: those who work on it (reporters of its site, reviewers)."""
    return first_refusal(may_enter_data(user), _in_scope(user, reaction), _live(reaction))


def open_follow_up(reaction):
    """The follow-up of a locked case that is not locked yet, if any (at most one is open)."""
    return reaction.follow_ups.exclude(status=Status.REVIEWED).first() if reaction.status == Status.REVIEWED else None


_UNREAD = object()


def may_create_follow_up(user, reaction, *, pending=_UNREAD):
    """New information on a locked case opens a follow-up (never an edit in place); one at a time.
    `pending` is the open follow-up when the caller already read it."""
    def locked_and_free():
        if reaction.status != Status.REVIEWED:
            return deny(_("Only a reviewed (locked) case takes a follow-up; edit the case itself."))
        if (open_follow_up(reaction) if pending is _UNREAD else pending) is not None:
            return deny(_("This case already has a follow-up in progress; complete that one first."))
        return ALLOW
    return first_refusal(may_enter_data(user), _in_scope(user, reaction), _live(reaction), locked_and_free)


def may_edit_follow_up(user, follow_up):
    def workflow():
        if follow_up.status == Status.REVIEWED:
            return deny(_("The follow-up is reviewed and locked."))
        if follow_up.status not in SITE_EDITABLE and not (may_review(user) and follow_up.status == Status.SUBMITTED):
            return deny(_("Only draft and returned follow-ups can be edited by reporters; ask a reviewer."))
        return ALLOW
    reaction = follow_up.reaction
    return first_refusal(may_enter_data(user), _in_scope(user, reaction), _live(reaction), workflow)


def may_submit_follow_up(user, follow_up):
    reaction = follow_up.reaction
    return first_refusal(may_enter_data(user), _in_scope(user, reaction), _live(reaction),
                         ALLOW if follow_up.status in SITE_EDITABLE
                         else deny(_("Only a draft or a returned follow-up can be submitted.")))


def may_review_follow_up(user, follow_up):
    """Lock a submitted follow-up, or return it to the site with a question."""
    reaction = follow_up.reaction
    return first_refusal(may_review(user), _in_scope(user, reaction), _live(reaction),
                         ALLOW if follow_up.status == Status.SUBMITTED
                         else deny(_("Only a submitted follow-up can be reviewed or returned.")))


def may_lock_follow_up(user, follow_up):
    """Lock a submitted follow-up: a reviewer other than the person who entered it (four eyes)."""
    return first_refusal(may_review_follow_up(user, follow_up), lambda: _four_eyes(
        user, (follow_up.created_by_id,),
        _("Four eyes: you entered this follow-up, so another reviewer must review and lock it.")))


def follow_up_actions(user, follow_up) -> dict:
    return {"edit": may_edit_follow_up(user, follow_up), "submit": may_submit_follow_up(user, follow_up),
            "review": may_review_follow_up(user, follow_up), "lock": may_lock_follow_up(user, follow_up)}


def actions(user, reaction) -> dict:
    """The decisions behind the case page's buttons (the services ask the same functions)."""
    pending = open_follow_up(reaction)
    return {"edit": may_edit(user, reaction), "submit": may_submit(user, reaction),
            "review": may_review_case(user, reaction), "return": may_return(user, reaction),
            "comment": may_comment(user, reaction),
            "follow_up": may_create_follow_up(user, reaction, pending=pending), "open_follow_up": pending,
            "void": may_void(user, reaction), "export": may_export(user, reaction)}
