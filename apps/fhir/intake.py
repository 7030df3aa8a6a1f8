"""A FHIR AdverseEvent in, a draft reaction out: through the web form's fields and the same service.

The resource is read into the reaction form's data, so a wrong value gets the form's own
message; the service then runs every clinical rule, as for a reaction entered on the page.
"""
from fhir.resources.R4B.adverseevent import AdverseEvent
from pydantic import ValidationError as PydanticError

from apps.core.forms import add_service_errors
from apps.exposures.selectors import exposure_list, latest_exposed_product
from apps.patients.selectors import patient_list
from apps.reactions.forms import ReactionCreateForm
from apps.reactions.services import reaction_create

from . import codes

SEVERITY = codes.reverse(codes.SEVERITY)
OUTCOME = codes.reverse(codes.OUTCOME)
CAUSALITY = codes.reverse(codes.CAUSALITY)
CRITERIA = codes.reverse(codes.SERIOUSNESS_CRITERIA)
SNOMED_SYMPTOMS = codes.reverse(codes.SYMPTOMS)


class IntakeError(Exception):
    """Problems of one resource: (FHIRPath-like location, message) pairs."""

    def __init__(self, issues):
        self.issues = issues
        super().__init__("; ".join(message for _where, message in issues))


def _codes(concept, system):
    return [c.code for c in (concept.coding or []) if c.system == system] if concept else []


def _first(values):
    return values[0] if values else ""


def _reference_id(reference, resource_type):
    value = (reference.reference or "") if reference else ""
    prefix = f"{resource_type}/"
    return value[len(prefix):] if value.startswith(prefix) else None


def _course(event):
    """The contained Condition the AdverseEvent's resultingCondition points at, if any."""
    targets = {(ref.reference or "").lstrip("#") for ref in (event.resultingCondition or [])}
    for resource in event.contained or []:
        if resource.get_resource_type() == "Condition" and resource.id in targets:
            return resource
    return None


def _injection_site(condition):
    from apps.reactions.choices import InjectionSite

    if condition is None or not condition.bodySite:
        return ""
    text = (condition.bodySite[0].text or "").strip().lower()
    return next((value for value, label in InjectionSite.choices if label.lower() == text or value == text), text)


def form_data(event: AdverseEvent, exposure) -> dict:
    """The reaction form's fields from the resource (values the form then checks, as from a page)."""
    course = _course(event)
    symptoms = []
    for evidence in (course.evidence or []) if course else []:
        for concept in evidence.code or []:
            own = _codes(concept, codes.SYMPTOM_SYSTEM)
            symptoms += own or [SNOMED_SYMPTOMS.get(code, code) for code in _codes(concept, codes.SNOMED)]
    meddra = [c for c in (event.event.coding or []) if c.system == codes.MEDDRA] if event.event else []
    causality = ""
    for entity in event.suspectEntity or []:
        for assessment in entity.causality or []:
            causality = causality or CAUSALITY.get(_first(_codes(assessment.assessment, codes.CAUSALITY_SYSTEM)), "")
    identifier = event.identifier.value if event.identifier else ""
    data = {
        "reaction_ref": identifier or "",
        "product": exposure.product_id if exposure else "",
        "onset_date": str(event.date)[:10] if event.date else "",
        "resolution_date": str(course.abatementDateTime)[:10] if course and course.abatementDateTime else "",
        "received_date": str(event.recordedDate)[:10] if event.recordedDate else "",
        "severity": SEVERITY.get(_first(_codes(event.severity, codes.SEVERITY_SYSTEM)), ""),
        "outcome": OUTCOME.get(_first(_codes(event.outcome, codes.OUTCOME_SYSTEM)), ""),
        "seriousness": [CRITERIA.get(code, code) for code in _codes(event.seriousness, codes.E2B_OBSERVATION)],
        "symptoms": symptoms,
        "injection_site": _injection_site(course),
        "meddra_llt_code": meddra[0].code if meddra else "",
        "meddra_version": (meddra[0].version or "") if meddra else "",
        "action_taken": "unknown",
        "reporter_qualification": "other_health_professional",
        "causality": causality,
        "narrative": "",
    }
    return {key: value for key, value in data.items() if value not in ("", [], None) or key == "product"}


def parse_adverse_event(resource: dict) -> AdverseEvent:
    try:
        return AdverseEvent.model_validate(resource)
    except PydanticError as error:
        raise IntakeError([(".".join(str(p) for p in e["loc"]), e["msg"]) for e in error.errors()]) from error


def create_draft(*, resource: dict, user):
    """One AdverseEvent → one draft reaction, or IntakeError naming each field as the form would."""
    event = parse_adverse_event(resource)
    patient_id = _reference_id(event.subject, "Patient")
    patient = patient_list(user=user).filter(pk=patient_id).first() if patient_id and patient_id.isdigit() else None
    if patient is None:
        raise IntakeError([("subject", "No live patient with this reference in your scope (use Patient/<id>).")])
    exposure = None
    for entity in event.suspectEntity or []:
        exposure_id = _reference_id(entity.instance, "MedicationStatement")
        if exposure_id and exposure_id.isdigit():
            exposure = exposure_list(user=user).filter(pk=exposure_id, patient=patient).first()
            if exposure is None:
                raise IntakeError([("suspectEntity.instance",
                                    "No exposure period of this patient with this reference (MedicationStatement/<id>).")])
    data = form_data(event, exposure)
    if exposure is None:  # as the form preselects: the product of the patient's latest exposure
        product = latest_exposed_product(patient)
        data["product"] = product.pk if product else ""
    form = ReactionCreateForm(data, user=user, patient=patient)
    if form.is_valid():
        cleaned = dict(form.cleaned_data)
        confirm = cleaned.pop("confirm_duplicate", False)
        from django.core.exceptions import ValidationError

        try:
            return reaction_create(patient=patient, actor=user, confirm_duplicate=confirm, **cleaned)
        except ValidationError as error:
            add_service_errors(form, error)
    raise IntakeError([(field if field != "__all__" else "AdverseEvent", message)
                       for field, messages in form.errors.items() for message in messages])
