"""FHIR code systems and the tracker's codes in them (HL7 terminology, MedDRA, SNOMED CT, ICH E2B)."""
from apps.patients.models import Sex
from apps.products.models import Route
from apps.reactions.choices import Causality, Outcome, Seriousness, Severity, Symptom

MEDDRA = "http://terminology.hl7.org/CodeSystem/mdr"
SNOMED = "http://snomed.info/sct"
UCUM = "http://unitsofmeasure.org"
ATC = "http://www.whocc.no/atc"
SERIOUSNESS_SYSTEM = "http://terminology.hl7.org/CodeSystem/adverse-event-seriousness"
SEVERITY_SYSTEM = "http://terminology.hl7.org/CodeSystem/adverse-event-severity"
OUTCOME_SYSTEM = "http://terminology.hl7.org/CodeSystem/adverse-event-outcome"
CAUSALITY_SYSTEM = "http://terminology.hl7.org/CodeSystem/adverse-event-causality-assess"
# ICH E2B(R3) observation codes of the E2A seriousness criteria (E.i.3.2a-f), as an OID system.
E2B_OBSERVATION = "urn:oid:2.16.840.1.113883.3.989.2.1.1.19"
# The tracker's own identifiers and codes.
REACTION_IDENTIFIER = "urn:pv-tracker:reaction"
PATIENT_IDENTIFIER = "urn:pv-tracker:patient"  # value: site code/patient reference
SYMPTOM_SYSTEM = "urn:pv-tracker:symptom"

SEX_TO_GENDER = {Sex.FEMALE: "female", Sex.MALE: "male", Sex.OTHER: "other", Sex.UNKNOWN: "unknown"}
SEVERITY = {Severity.MILD: "mild", Severity.MODERATE: "moderate", Severity.SEVERE: "severe"}
OUTCOME = {Outcome.RECOVERED: ("resolved", "Resolved"), Outcome.RECOVERING: ("recovering", "Recovering"),
           Outcome.NOT_RECOVERED: ("ongoing", "Ongoing"),
           Outcome.RECOVERED_WITH_SEQUELAE: ("resolvedWithSequelae", "Resolved with Sequelae"),
           Outcome.FATAL: ("fatal", "Fatal"), Outcome.UNKNOWN: ("unknown", "Unknown")}
CAUSALITY = {Causality.CERTAIN: "Certain", Causality.PROBABLE: "Probably-Likely", Causality.POSSIBLE: "Possible",
             Causality.UNLIKELY: "Unlikely", Causality.CONDITIONAL: "Conditional-Classified",
             Causality.UNASSESSABLE: "Unassessable-Unclassifiable"}
SERIOUSNESS_CRITERIA = {Seriousness.DEATH: "34", Seriousness.LIFE_THREATENING: "21",
                        Seriousness.HOSPITALISATION: "33", Seriousness.DISABILITY: "35",
                        Seriousness.CONGENITAL_ANOMALY: "12", Seriousness.OTHER_MEDICALLY_IMPORTANT: "26"}
# SNOMED CT clinical findings of the symptoms ('other' has no code).
SYMPTOMS = {Symptom.ERYTHEMA: ("70819003", "Erythema"), Symptom.BRUISING: ("125667009", "Contusion"),
            Symptom.INFLAMMATION: ("257552002", "Inflammation"), Symptom.PAIN: ("22253000", "Pain"),
            Symptom.SWELLING: ("65124004", "Swelling"), Symptom.PRURITUS: ("418290006", "Itching")}
# SNOMED CT routes of administration.
ROUTES = {Route.SUBCUTANEOUS: ("34206005", "Subcutaneous route"), Route.INTRAVENOUS: ("47625008", "Intravenous route"),
          Route.INTRAMUSCULAR: ("78421000", "Intramuscular route"), Route.INTRADERMAL: ("372464004", "Intradermal route")}
ATC_CODES = {"anakinra": ("L04AC03", "anakinra")}


def reverse(mapping):
    return {(value[0] if isinstance(value, tuple) else value): key for key, value in mapping.items()}
