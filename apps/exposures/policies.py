"""Who may do what to an exposure period: one function per action, for views, buttons, services and the importer."""
from django.utils.translation import gettext as _

from apps.core.policy import ALLOW, deny, first_refusal, may_review
from apps.patients import policies as patient_policies

LOCKED_REFS_SHOWN = 5


def locked_cases(*, patient, product_id, start_date):
    """References of the reviewed (locked) cases that report a period of `patient` to the product starting then."""
    if start_date is None or product_id is None:
        return []
    return list(patient.reactions.locked()
                .reporting_exposure(patient_id=patient.pk, product_id=product_id, start_date=start_date)
                .order_by("reaction_ref").values_list("reaction_ref", flat=True))


def locked_cases_of(period):
    return locked_cases(patient=period.patient, product_id=period.product_id, start_date=period.start_date)


def locked_refusal(user, refs, action):
    """Reporters may not change what a locked case reports; a reviewer may, with a reason on the cases."""
    if refs and not (user is None or may_review(user)):
        shown = ", ".join(refs[:LOCKED_REFS_SHOWN]) + (" …" if len(refs) > LOCKED_REFS_SHOWN else "")
        return deny(f"This exposure period is reported by reviewed and locked case(s) {shown}; only a reviewer "
                    f"may {action} it, giving a reason that is recorded on those cases.")
    return ALLOW


def _live(period):
    if period.is_voided:
        return deny(_("The exposure period is voided; voided records cannot be changed."))
    if period.patient.is_voided:
        return deny(_("The patient is voided; nothing of a voided patient can be changed."))
    return ALLOW


def may_add(user, patient):
    return patient_policies.may_add_records(user, patient)


def may_edit(user, period):
    return first_refusal(patient_policies.may_add_records(user, period.patient), _live(period),
                         lambda: locked_refusal(user, locked_cases_of(period), "change"))


def may_void(user, period):
    return first_refusal(patient_policies.may_add_records(user, period.patient), _live(period),
                         lambda: locked_refusal(user, locked_cases_of(period), "void"))


def actions(user, period) -> dict:
    return {"edit": may_edit(user, period), "void": may_void(user, period)}
