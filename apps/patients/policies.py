"""Who may do what to a patient: one function per action, for views, buttons, services and the importer."""
from django.utils.translation import gettext as _

from apps.core.policy import ALLOW, deny, first_refusal, may_enter_data, may_review, may_touch_site

LOCKED_REFS_SHOWN = 5


def locked_cases(patient):
    """References of the reviewed (locked) cases that report this patient's sex and birth year."""
    if patient.pk is None:
        return []
    return list(patient.reactions.locked().order_by("reaction_ref").values_list("reaction_ref", flat=True))


def _live(patient):
    return deny(_("The patient is voided; nothing of a voided patient can be changed.")) if patient.is_voided else ALLOW


def _locked_for(user, patient, action):
    """Reporters may not change what a locked case reports; a reviewer may, with a reason on the cases."""
    refs = locked_cases(patient)
    if refs and not (user is None or may_review(user)):
        shown = ", ".join(refs[:LOCKED_REFS_SHOWN]) + (" …" if len(refs) > LOCKED_REFS_SHOWN else "")
        return deny(f"The patient is reported by reviewed and locked case(s) {shown}; only a reviewer may "
                    f"{action} it, giving a reason that is recorded on those cases.")
    return ALLOW


def may_create(user, site_id) -> object:
    return first_refusal(may_enter_data(user), may_touch_site(user, site_id))


def may_edit(user, patient):
    return first_refusal(may_enter_data(user), may_touch_site(user, patient.site_id), _live(patient),
                         lambda: _locked_for(user, patient, "change"))


def may_void(user, patient):
    return first_refusal(may_enter_data(user), may_touch_site(user, patient.site_id), _live(patient),
                         lambda: _locked_for(user, patient, "void"))


def may_add_records(user, patient):
    """Add an exposure period or a reaction to the patient."""
    return first_refusal(may_enter_data(user), may_touch_site(user, patient.site_id),
                         deny(_("The patient is voided; no record can be added.")) if patient.is_voided else ALLOW)


def actions(user, patient) -> dict:
    return {"edit": may_edit(user, patient), "void": may_void(user, patient), "add": may_add_records(user, patient)}
