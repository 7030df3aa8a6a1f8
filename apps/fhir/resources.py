"""Reactions, patients and exposure periods as FHIR R4 resources (validated by fhir.resources).

fhir.resources ships R4B (4.3), whose AdverseEvent, Patient, MedicationStatement and Condition
are the R4 (4.0.1) resources: the JSON produced here is valid R4. R4's AdverseEvent has no
body site, end date or symptoms, so the reaction's course sits in a contained Condition
(resultingCondition: onset, abatement, bodySite, evidence), as R4 models a resulting condition.
"""
from django.utils.functional import Promise
from fhir.resources.R4B.adverseevent import AdverseEvent
from fhir.resources.R4B.medicationstatement import MedicationStatement
from fhir.resources.R4B.patient import Patient

from apps.exposures.models import ExposurePeriod
from apps.reactions.body_sites import BODY_SITES

from . import codes


def plain(data):
    """The resource's data with translated labels (lazy strings) made plain text for pydantic."""
    if isinstance(data, dict):
        return {key: plain(value) for key, value in data.items()}
    if isinstance(data, list):
        return [plain(value) for value in data]
    return str(data) if isinstance(data, Promise) else data


def coding(system, code, display=None, version=None):
    return {k: v for k, v in {"system": system, "code": code, "display": display, "version": version}.items() if v}


def patient_resource(patient) -> Patient:
    data = {"resourceType": "Patient", "id": str(patient.pk), "active": not patient.is_voided,
            "identifier": [{"system": codes.PATIENT_IDENTIFIER, "value": f"{patient.site.code}/{patient.patient_ref}"}],
            "gender": codes.SEX_TO_GENDER[patient.sex]}
    if patient.birth_year:
        data["birthDate"] = str(patient.birth_year)
    return Patient.model_validate(plain(data))


def medication_statement_resource(period) -> MedicationStatement:
    product = period.product
    concept = {"text": product.name}
    if product.code in codes.ATC_CODES:
        concept["coding"] = [coding(codes.ATC, *codes.ATC_CODES[product.code])]
    dose = float(period.dose_mg_per_day)
    dosage = {"text": f"{period.dose_mg_per_day.normalize():f} mg/day {period.get_route_display().lower()}",
              "timing": {"repeat": {"frequency": 1, "period": 1, "periodUnit": "d"}},
              "doseAndRate": [{"doseQuantity": {"value": dose, "unit": "mg", "system": codes.UCUM, "code": "mg"}}]}
    if period.route in codes.ROUTES:
        dosage["route"] = {"coding": [coding(codes.SNOMED, *codes.ROUTES[period.route])],
                           "text": period.get_route_display()}
    effective = {"start": period.start_date.isoformat()}
    if period.end_date:
        effective["end"] = period.end_date.isoformat()
    data = {"resourceType": "MedicationStatement", "id": str(period.pk),
            "status": "entered-in-error" if period.is_voided else ("active" if period.end_date is None else "completed"),
            "medicationCodeableConcept": concept, "subject": {"reference": f"Patient/{period.patient_id}"},
            "effectivePeriod": effective, "dosage": [dosage]}
    if period.lot_number:
        data["note"] = [{"text": f"Lot {period.lot_number}"}]
    return MedicationStatement.model_validate(plain(data))


def exposure_at_onset(reaction):
    """The exposure period the reaction is attributed to: the latest live one starting on or before the onset."""
    return (ExposurePeriod.objects.filter(patient_id=reaction.patient_id, product_id=reaction.product_id,
                                          voided_at__isnull=True, start_date__lte=reaction.onset_date)
            .order_by("-start_date").first())


def _condition(reaction):
    condition = {"resourceType": "Condition", "id": "course", "subject": {"reference": f"Patient/{reaction.patient_id}"},
                 "onsetDateTime": reaction.onset_date.isoformat()}
    if reaction.resolution_date:
        condition["abatementDateTime"] = reaction.resolution_date.isoformat()
    site = BODY_SITES.get(reaction.injection_site)
    if reaction.injection_site:
        body_site = {"text": reaction.get_injection_site_display()}
        if site:
            body_site["coding"] = [coding(codes.SNOMED, site.snomed_code, site.snomed_display)]
        condition["bodySite"] = [body_site]
    condition["evidence"] = [{"code": [{"coding": [
        *([coding(codes.SNOMED, *codes.SYMPTOMS[symptom])] if symptom in codes.SYMPTOMS else []),
        coding(codes.SYMPTOM_SYSTEM, symptom)], "text": str(label)}]}
        for symptom, label in ((s, dict(reaction._meta.get_field("symptoms").choices)[s]) for s in reaction.symptoms)]
    if reaction.meddra_llt_code:
        condition["code"] = {"coding": [coding(codes.MEDDRA, reaction.meddra_llt_code, version=reaction.meddra_version)]}
    return condition


def adverse_event_resource(reaction, exposure=None) -> AdverseEvent:
    exposure = exposure if exposure is not None else exposure_at_onset(reaction)
    serious = codes.SERIOUSNESS_SYSTEM
    seriousness = [coding(serious, "serious", "Serious") if reaction.is_serious else
                   coding(serious, "non-serious", "Non-serious")]
    seriousness += [coding(codes.E2B_OBSERVATION, codes.SERIOUSNESS_CRITERIA[c]) for c in reaction.seriousness]
    outcome_code, outcome_display = codes.OUTCOME[reaction.outcome]
    event = {"text": "Injection site reaction"}
    if reaction.meddra_llt_code:
        event["coding"] = [coding(codes.MEDDRA, reaction.meddra_llt_code, version=reaction.meddra_version)]
    data = {
        "resourceType": "AdverseEvent", "id": str(reaction.pk),
        "identifier": {"system": codes.REACTION_IDENTIFIER, "value": reaction.reaction_ref},
        "actuality": "actual", "event": event,
        "subject": {"reference": f"Patient/{reaction.patient_id}"},
        "date": reaction.onset_date.isoformat(), "recordedDate": reaction.received_date.isoformat(),
        "seriousness": {"coding": seriousness, "text": reaction.get_seriousness_display()},
        "severity": {"coding": [coding(codes.SEVERITY_SYSTEM, codes.SEVERITY[reaction.severity],
                                       reaction.get_severity_display())]},
        "outcome": {"coding": [coding(codes.OUTCOME_SYSTEM, outcome_code, outcome_display)]},
        "contained": [_condition(reaction)],
        "resultingCondition": [{"reference": "#course"}],
    }
    if exposure is not None:
        entity = {"instance": {"reference": f"MedicationStatement/{exposure.pk}", "display": reaction.product.name}}
        if reaction.causality:
            entity["causality"] = [{"assessment": {"coding": [coding(codes.CAUSALITY_SYSTEM,
                                                                     codes.CAUSALITY[reaction.causality])],
                                                   "text": reaction.get_causality_display()},
                                    "method": {"text": "WHO-UMC causality assessment system"}}]
        data["suspectEntity"] = [entity]
    return AdverseEvent.model_validate(plain(data))
