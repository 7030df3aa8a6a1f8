"""E2B(R3) code lists and OIDs, mapped from the tracker's own coded values.

Codes follow the ICH E2B(R3) implementation guide; the mapping lives here so that a
change of the reaction's choices fails loudly in one place (see `tests/e2b`).
"""
from apps.patients.models import Sex
from apps.products.models import Route
from apps.reactions.choices import ActionTaken, Causality, Outcome, ReporterQualification, Seriousness

HL7_NS = "urn:hl7-org:v3"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"

ICH = "2.16.840.1.113883.3.989.2.1"
OID_BATCH_ID = f"{ICH}.3.22"            # N.1.2
OID_BATCH_SENDER = f"{ICH}.3.13"        # N.1.3
OID_BATCH_RECEIVER = f"{ICH}.3.14"      # N.1.4
OID_MESSAGE_ID = f"{ICH}.3.1"           # N.2.r.1
OID_MESSAGE_SENDER = f"{ICH}.3.11"      # N.2.r.2
OID_MESSAGE_RECEIVER = f"{ICH}.3.12"    # N.2.r.3
OID_CASE_ID = f"{ICH}.3.1"              # C.1.1
OID_WORLDWIDE_CASE_ID = f"{ICH}.3.2"    # C.1.8.1
OID_SPONSOR_STUDY_NUMBER = f"{ICH}.3.5"  # C.5.3
OID_MESSAGE_TYPE = f"{ICH}.1.1"
OID_REPORT_TYPE = f"{ICH}.1.2"
OID_FIRST_SENDER = f"{ICH}.1.3"
OID_QUALIFICATION = f"{ICH}.1.6"
OID_SENDER_TYPE = f"{ICH}.1.7"
OID_STUDY_TYPE = f"{ICH}.1.8"
OID_OUTCOME = f"{ICH}.1.11"
OID_DRUG_ROLE = f"{ICH}.1.13"
OID_ROUTE = f"{ICH}.1.14"
OID_ACTION_TAKEN = f"{ICH}.1.15"
OID_OBSERVATION = f"{ICH}.1.19"
OID_ORGANIZER = f"{ICH}.1.20"
OID_REPORT_RELATION = f"{ICH}.1.22"
OID_CHARACTERISTIC = f"{ICH}.1.23"
OID_NULLIFICATION = f"{ICH}.1.5"
OID_MEDDRA = "2.16.840.1.113883.6.163"
OID_SEX = "1.0.5218"
OID_COUNTRY = "1.0.3166.1.2.2"
OID_INTERACTION = "2.16.840.1.113883.1.6"
OID_TRIGGER = "2.16.840.1.113883.1.18"
OID_ACT_CODE = "2.16.840.1.113883.5.4"

# E.i.3.2a–f: observation code and the tracker's seriousness criterion.
SERIOUSNESS_OBSERVATIONS = (
    ("34", "resultsInDeath", Seriousness.DEATH),
    ("21", "isLifeThreatening", Seriousness.LIFE_THREATENING),
    ("33", "requiresInpatientHospitalization", Seriousness.HOSPITALISATION),
    ("35", "resultsInPersistentOrSignificantDisability", Seriousness.DISABILITY),
    ("12", "congenitalAnomalyBirthDefect", Seriousness.CONGENITAL_ANOMALY),
    ("26", "otherMedicallyImportantCondition", Seriousness.OTHER_MEDICALLY_IMPORTANT),
)

# E.i.7 (R3 list: 0 is unknown; R2 used 6 for unknown).
OUTCOME_CODES = {
    Outcome.RECOVERED: "1",
    Outcome.RECOVERING: "2",
    Outcome.NOT_RECOVERED: "3",
    Outcome.RECOVERED_WITH_SEQUELAE: "4",
    Outcome.FATAL: "5",
    Outcome.UNKNOWN: "0",
}

# D.5 (ISO 5218): other and unknown are sent as nullFlavor UNK.
SEX_CODES = {Sex.MALE: "1", Sex.FEMALE: "2"}

# C.2.r.4
QUALIFICATION_CODES = {
    ReporterQualification.PHYSICIAN: "1",
    ReporterQualification.PHARMACIST: "2",
    ReporterQualification.OTHER_HEALTH_PROFESSIONAL: "3",
    ReporterQualification.LAWYER: "4",
    ReporterQualification.CONSUMER: "5",
}

# G.k.4.r.10: the E2B route of administration list (058 = subcutaneous).
ROUTE_CODES = {
    Route.SUBCUTANEOUS: "058",
    Route.INTRAVENOUS: "042",
    Route.INTRAMUSCULAR: "030",
    Route.INTRADERMAL: "023",
    Route.OTHER: "050",
}

# G.k.8
ACTION_TAKEN_CODES = {
    ActionTaken.WITHDRAWN: "1",
    ActionTaken.DOSE_REDUCED: "2",
    ActionTaken.DOSE_INCREASED: "3",
    ActionTaken.UNCHANGED: "4",
    ActionTaken.UNKNOWN: "0",
    ActionTaken.NOT_APPLICABLE: "9",
}

# G.k.9.i.2.r.3 is free text: the WHO-UMC category label.
CAUSALITY_RESULTS = {value: str(label) for value, label in Causality.choices}
CAUSALITY_METHOD = "WHO-UMC causality assessment system"
CAUSALITY_SOURCE = "Sender (pharmacovigilance reviewer)"

# C.1.11.1
NULLIFICATION_CODES = {"1": "Nullification", "2": "Amendment"}
