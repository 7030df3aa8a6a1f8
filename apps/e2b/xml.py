"""Building and validating E2B(R3) ICSR XML (HL7 v3 MCCI_IN200100UV01 batches).

The builder only writes; it trusts `services.export_problems` to have refused records
lacking a required element, and `validate_document` to catch anything else.
"""
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from functools import cache
from pathlib import Path

from lxml import etree
from lxml.builder import ElementMaker

from . import codes
from .narrative import approximate_age, case_narrative, format_dose

SCHEMA_PATH = Path(__file__).resolve().parent / "schemas" / "multicacheschemas" / "MCCI_IN200100UV01.xsd"
E = ElementMaker(namespace=codes.HL7_NS, nsmap={None: codes.HL7_NS, "xsi": codes.XSI_NS})
XSI_TYPE = f"{{{codes.XSI_NS}}}type"
UUID_NAMESPACE = uuid.UUID("1f3c7f4e-6a51-4c1e-9b8e-5d2a8f0e7b21")


@dataclass
class CaseMessage:
    """Everything one PORR_IN049016UV message is built from."""

    reaction: object
    exposures: list
    sender: object
    case_id: str
    version_number: int
    message_id: str
    created: datetime
    meddra_term_name: str = ""
    narrative: str = field(default="")
    # C.1.11.1 / C.1.11.2: "1" nullification or "2" amendment of a case already sent, and why.
    nullification_code: str = ""
    nullification_reason: str = ""

    def __post_init__(self):
        if not self.narrative:
            self.narrative = case_narrative(self.reaction, self.exposures)


def ts(value):
    """An HL7 TS: a date as YYYYMMDD, a datetime in UTC as YYYYMMDDHHMMSS+0000."""
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).strftime("%Y%m%d%H%M%S+0000")
    if isinstance(value, date):
        return value.strftime("%Y%m%d")
    raise TypeError(f"not a date: {value!r}")


def stable_uuid(*parts):
    """The same id for the same case element across follow-up versions."""
    return str(uuid.uuid5(UUID_NAMESPACE, "/".join(str(p) for p in parts)))


def typed(element, xsi_type):
    element.set(XSI_TYPE, xsi_type)
    return element


def code(value, system, display=None, **extra):
    attrs = {"code": value, "codeSystem": system}
    if display:
        attrs["displayName"] = display
    attrs.update(extra)
    return E.code(**attrs)


def observation_code(value, display):
    return code(value, codes.OID_OBSERVATION, display)


def device(tag, root, extension):
    return getattr(E, tag)(
        E.device(E.id(root=root, extension=extension), classCode="DEV", determinerCode="INSTANCE"),
        typeCode="RCV" if tag == "receiver" else "SND")


def country_place(country):
    return E.location(code(country, codes.OID_COUNTRY), classCode="COUNTRY", determinerCode="INSTANCE")


def bl_flag(is_true):
    """E2B seriousness flags are true or nullFlavor NI, never false."""
    return typed(E.value(value="true"), "BL") if is_true else typed(E.value(nullFlavor="NI"), "BL")


# --- D: patient --------------------------------------------------------------------------


def patient_person(patient):
    sex_code = codes.SEX_CODES.get(patient.sex)
    gender = (E.administrativeGenderCode(code=sex_code, codeSystem=codes.OID_SEX) if sex_code
              else E.administrativeGenderCode(nullFlavor="UNK"))
    return E.player1(E.name(nullFlavor="MSK"), gender, classCode="PSN", determinerCode="INSTANCE")


def research_study(sender):
    from .models import ReportType

    if sender.report_type != ReportType.STUDY:
        return []
    children = []
    if sender.sponsor_study_number:
        children.append(E.id(root=codes.OID_SPONSOR_STUDY_NUMBER, extension=sender.sponsor_study_number))
    children.append(code(sender.study_type, codes.OID_STUDY_TYPE, sender.get_study_type_display()))
    if sender.study_name:
        children.append(E.title(sender.study_name))
    return [E.subjectOf1(E.researchStudy(*children, classCode="CLNTRL", moodCode="EVN"), typeCode="SBJ")]


def age_observation(message):
    age = approximate_age(message.reaction.patient, message.reaction.onset_date)
    if age is None:
        return []
    return [E.subjectOf2(E.observation(
        observation_code("3", "age"),
        typed(E.value(value=str(age), unit="a"), "PQ"),
        classCode="OBS", moodCode="EVN"), typeCode="SBJ")]


# --- E.i: reaction -----------------------------------------------------------------------


def reaction_as_reported(reaction, term_name):
    parts = ["Injection site reaction"]
    if reaction.symptoms:
        parts.append(f": {reaction.get_symptoms_display().lower()}")
    if reaction.injection_site:
        parts.append(f" ({reaction.get_injection_site_display().lower()})")
    text = "".join(parts)
    if term_name:
        text = f"{term_name} – {text}"
    return text[:250]


def reaction_time(reaction):
    if reaction.resolution_date is None:
        return typed(E.effectiveTime(E.low(value=ts(reaction.onset_date))), "IVL_TS")
    return typed(E.effectiveTime(
        typed(E.comp(E.low(value=ts(reaction.onset_date)), E.high(value=ts(reaction.resolution_date))), "IVL_TS"),
        typed(E.comp(E.width(value=str(reaction.duration_days), unit="d"), operator="A"), "IVL_TS"),
    ), "SXPR_TS")


def reaction_observation(message, reaction_uuid):
    reaction = message.reaction
    country = reaction.patient.site.country or message.sender.country
    seriousness = set(reaction.seriousness or [])
    relationships = [
        E.outboundRelationship2(E.observation(
            observation_code(obs_code, display), bl_flag(criterion in seriousness),
            classCode="OBS", moodCode="EVN"), typeCode="PERT")
        for obs_code, display, criterion in codes.SERIOUSNESS_OBSERVATIONS
    ]
    relationships.append(E.outboundRelationship2(E.observation(
        observation_code("27", "outcome"),
        typed(E.value(code=codes.OUTCOME_CODES[reaction.outcome], codeSystem=codes.OID_OUTCOME,
                      displayName=reaction.get_outcome_display()), "CE"),
        classCode="OBS", moodCode="EVN"), typeCode="PERT"))
    return E.subjectOf2(E.observation(
        E.id(root=reaction_uuid),
        observation_code("29", "reaction"),
        reaction_time(reaction),
        typed(E.value(E.originalText(reaction_as_reported(reaction, message.meddra_term_name), language="eng"),
                      code=reaction.meddra_llt_code, codeSystem=codes.OID_MEDDRA,
                      codeSystemVersion=reaction.meddra_version), "CE"),
        E.location(E.locatedEntity(E.locatedPlace(code(country, codes.OID_COUNTRY), classCode="COUNTRY",
                                                  determinerCode="INSTANCE"), classCode="LOCE"), typeCode="LOC"),
        *relationships,
        classCode="OBS", moodCode="EVN"), typeCode="SBJ")


# --- G.k: drug ---------------------------------------------------------------------------


def dosage(period):
    period_time = [typed(E.comp(E.period(value="1", unit="d")), "PIVL_TS")]
    interval = [E.low(value=ts(period.start_date))]
    if period.end_date:
        interval.append(E.high(value=ts(period.end_date)))
    period_time.append(typed(E.comp(*interval, operator="A"), "IVL_TS"))
    dose = format_dose(period.dose_mg_per_day)
    children = [
        E.text(f"{dose} mg/day {period.get_route_display().lower()}"),
        typed(E.effectiveTime(*period_time), "SXPR_TS"),
        E.routeCode(E.originalText(period.get_route_display()), code=codes.ROUTE_CODES[period.route],
                    codeSystem=codes.OID_ROUTE),
        E.doseQuantity(value=dose, unit="mg"),
    ]
    if period.lot_number:
        children.append(E.consumable(E.instanceOfKind(E.productInstanceInstance(
            E.lotNumberText(period.lot_number), classCode="MMAT", determinerCode="INSTANCE"),
            classCode="INST"), typeCode="CSM"))
    return E.outboundRelationship2(E.substanceAdministration(*children, classCode="SBADM", moodCode="EVN"),
                                   typeCode="COMP")


def drug_organizer(message, drug_uuid, reaction_uuid):
    reaction = message.reaction
    first_start = min(period.start_date for period in message.exposures)
    interval_days = (reaction.onset_date - first_start).days
    return E.subjectOf2(E.organizer(
        code("4", codes.OID_ORGANIZER, "drugInformation"),
        E.component(E.substanceAdministration(
            E.id(root=drug_uuid),
            E.consumable(E.instanceOfKind(E.kindOfProduct(E.name(reaction.product.name), classCode="MMAT",
                                                          determinerCode="KIND"),
                                          classCode="INST"), typeCode="CSM"),
            # G.k.9.i.3.1: interval from the first administration to the onset.
            E.outboundRelationship1(
                E.pauseQuantity(value=str(interval_days), unit="d"),
                E.actReference(E.id(root=reaction_uuid), classCode="OBS", moodCode="EVN"),
                typeCode="SAS"),
            *[dosage(period) for period in message.exposures],
            E.inboundRelationship(E.act(code(codes.ACTION_TAKEN_CODES[reaction.action_taken], codes.OID_ACTION_TAKEN,
                                             reaction.get_action_taken_display()),
                                        classCode="ACT", moodCode="EVN"), typeCode="CAUS"),
            classCode="SBADM", moodCode="EVN"), typeCode="COMP"),
        classCode="CATEGORY", moodCode="EVN"), typeCode="SBJ")


def drug_role(drug_uuid):
    return E.component(E.causalityAssessment(
        observation_code("20", "interventionCharacterization"),
        typed(E.value(code="1", codeSystem=codes.OID_DRUG_ROLE, displayName="Suspect"), "CE"),
        E.subject2(E.productUseReference(E.id(root=drug_uuid), classCode="SBADM", moodCode="EVN"), typeCode="SUBJ"),
        classCode="OBS", moodCode="EVN"), typeCode="COMP")


def causality(message, drug_uuid, reaction_uuid):
    return E.component(E.causalityAssessment(
        observation_code("39", "causality"),
        typed(E.value(codes.CAUSALITY_RESULTS[message.reaction.causality]), "ST"),
        E.methodCode(E.originalText(codes.CAUSALITY_METHOD)),
        E.author(E.assignedEntity(E.code(E.originalText(codes.CAUSALITY_SOURCE)), classCode="ASSIGNED"),
                 typeCode="AUT"),
        E.subject1(E.adverseEffectReference(E.id(root=reaction_uuid), classCode="OBS", moodCode="EVN"),
                   typeCode="SUBJ"),
        E.subject2(E.productUseReference(E.id(root=drug_uuid), classCode="SBADM", moodCode="EVN"), typeCode="SUBJ"),
        classCode="OBS", moodCode="EVN"), typeCode="COMP")


# --- C: case, primary source, sender -----------------------------------------------------


def case_observation(obs_code, display, value):
    return E.component(E.observationEvent(observation_code(obs_code, display), value,
                                          classCode="OBS", moodCode="EVN"), typeCode="COMP")


def first_sender():
    return E.outboundRelationship(E.relatedInvestigation(
        code("1", codes.OID_REPORT_RELATION, "initialReport"),
        E.subjectOf2(E.controlActEvent(E.author(E.assignedEntity(
            code("2", codes.OID_FIRST_SENDER, "other"), classCode="ASSIGNED"), typeCode="AUT"),
            classCode="CACT", moodCode="EVN"), typeCode="SUBJ"),
        classCode="INVSTG", moodCode="EVN"), typeCode="SPRT")


def primary_source(message):
    reaction = message.reaction
    country = reaction.patient.site.country or message.sender.country
    person = E.assignedPerson(
        E.name(E.given(nullFlavor="MSK"), E.family(nullFlavor="MSK")),
        E.asQualifiedEntity(code(codes.QUALIFICATION_CODES[reaction.reporter_qualification], codes.OID_QUALIFICATION,
                                 reaction.get_reporter_qualification_display()), classCode="QUAL"),
        E.asLocatedEntity(country_place(country), classCode="LOCE"),
        classCode="PSN", determinerCode="INSTANCE")
    return E.outboundRelationship(
        E.priorityNumber(value="1"),
        E.relatedInvestigation(
            code("2", codes.OID_REPORT_RELATION, "sourceReport"),
            E.subjectOf2(E.controlActEvent(E.author(E.assignedEntity(person, classCode="ASSIGNED"), typeCode="AUT"),
                                           classCode="CACT", moodCode="EVN"), typeCode="SUBJ"),
            classCode="INVSTG", moodCode="EVN"),
        typeCode="SPRT")


def sender_information(sender):
    return E.subjectOf1(E.controlActEvent(E.author(E.assignedEntity(
        code(sender.sender_type, codes.OID_SENDER_TYPE),
        E.assignedPerson(E.asLocatedEntity(country_place(sender.country), classCode="LOCE"),
                         classCode="PSN", determinerCode="INSTANCE"),
        E.representedOrganization(E.assignedEntity(E.representedOrganization(
            E.name(sender.organisation_name), classCode="ORG", determinerCode="INSTANCE"), classCode="ASSIGNED"),
            classCode="ORG", determinerCode="INSTANCE"),
        classCode="ASSIGNED"), typeCode="AUT"), classCode="CACT", moodCode="EVN"), typeCode="SUBJ")


def characteristic(obs_code, display, value):
    return E.subjectOf2(E.investigationCharacteristic(code(obs_code, codes.OID_CHARACTERISTIC, display), value,
                                                      classCode="OBS", moodCode="EVN"), typeCode="SUBJ")


def nullification_characteristics(message):
    if not message.nullification_code:
        return []
    return [
        characteristic("3", "nullificationAmendmentCode",
                       typed(E.value(code=message.nullification_code, codeSystem=codes.OID_NULLIFICATION,
                                     displayName=codes.NULLIFICATION_CODES[message.nullification_code]), "CE")),
        characteristic("4", "nullificationAmendmentReason",
                       typed(E.value(E.originalText(message.nullification_reason[:2000])), "CE")),
    ]


def message_element(message: CaseMessage):
    """One PORR_IN049016UV message: one case."""
    reaction, sender = message.reaction, message.sender
    reaction_uuid = stable_uuid(message.case_id, "reaction")
    drug_uuid = stable_uuid(message.case_id, "drug", reaction.product.code)
    created = ts(message.created)
    assessment = E.adverseEventAssessment(
        E.subject1(E.primaryRole(
            patient_person(reaction.patient),
            *research_study(sender),
            *age_observation(message),
            reaction_observation(message, reaction_uuid),
            drug_organizer(message, drug_uuid, reaction_uuid),
            classCode="INVSBJ"), typeCode="SBJ"),
        drug_role(drug_uuid),
        causality(message, drug_uuid, reaction_uuid),
        classCode="INVSTG", moodCode="EVN")
    investigation = E.investigationEvent(
        E.id(root=codes.OID_CASE_ID, extension=message.case_id),
        E.id(root=codes.OID_WORLDWIDE_CASE_ID, extension=message.case_id),
        code("PAT_ADV_EVNT", codes.OID_ACT_CODE),
        E.text(message.narrative),
        E.statusCode(code="active"),
        # C.1.4 first received (day zero) and C.1.5 most recent information (a locked follow-up's receipt date).
        E.effectiveTime(E.low(value=ts(reaction.received_date))),
        E.availabilityTime(value=ts(reaction.most_recent_information_date)),
        E.component(assessment, typeCode="COMP"),
        case_observation("1", "additionalDocumentsAvailable", typed(E.value(value="false"), "BL")),
        # C.1.7: the tracker does not assess expectedness, so every serious case is flagged.
        case_observation("23", "localCriteriaForExpedited",
                         typed(E.value(value="true" if reaction.is_serious else "false"), "BL")),
        first_sender(),
        primary_source(message),
        sender_information(sender),
        characteristic("1", "ichReportType",
                       typed(E.value(code=sender.report_type, codeSystem=codes.OID_REPORT_TYPE,
                                     displayName=sender.get_report_type_display()), "CE")),
        characteristic("2", "otherCaseIds", typed(E.value(nullFlavor="NI"), "BL")),
        *nullification_characteristics(message),
        classCode="INVSTG", moodCode="EVN")
    return E.PORR_IN049016UV(
        E.id(root=codes.OID_MESSAGE_ID, extension=message.message_id),
        E.creationTime(value=created),
        E.interactionId(root=codes.OID_INTERACTION, extension="PORR_IN049016UV"),
        E.processingCode(code="P"),
        E.processingModeCode(code="T"),
        E.acceptAckCode(code="AL"),
        device("receiver", codes.OID_MESSAGE_RECEIVER, sender.receiver_identifier),
        device("sender", codes.OID_MESSAGE_SENDER, sender.sender_identifier),
        E.controlActProcess(
            code("PORR_TE049016UV", codes.OID_TRIGGER),
            E.effectiveTime(value=created),
            E.subject(investigation, typeCode="SUBJ"),
            classCode="CACT", moodCode="EVN"))


def batch_document(*, batch_id, created, sender, messages):
    """The MCCI_IN200100UV01 batch wrapping already built message elements."""
    return E.MCCI_IN200100UV01(
        E.id(root=codes.OID_BATCH_ID, extension=batch_id),
        E.creationTime(value=ts(created)),
        E.responseModeCode(code="D"),
        E.interactionId(root=codes.OID_INTERACTION, extension="MCCI_IN200100UV01"),
        E.name(code="1", codeSystem=codes.OID_MESSAGE_TYPE, displayName="ichicsr"),
        *messages,
        device("receiver", codes.OID_BATCH_RECEIVER, sender.receiver_identifier),
        device("sender", codes.OID_BATCH_SENDER, sender.sender_identifier),
        ITSVersion="XML_1.0")


def serialize(element) -> bytes:
    return etree.tostring(element, xml_declaration=True, encoding="UTF-8", pretty_print=True)


@cache
def schema():
    return etree.XMLSchema(etree.parse(str(SCHEMA_PATH)))


# Where in the document an error sits, and what the user fixes for it.
ERROR_HINTS = (
    ("/receiver", "receiver identifier (E2B sender organisation settings)"),
    ("/sender", "sender identifier (E2B sender organisation settings)"),
    ("subjectOf1/controlActEvent", "sender organisation: type, country or name (E2B sender organisation settings)"),
    ("researchStudy", "study identification (E2B sender organisation settings)"),
    ("player1", "patient (sex)"),
    ("organizer", "exposure: product, dose, route, dates or lot number"),
    ("outboundRelationship/", "primary source: reporter qualification or site country"),
    ("causalityAssessment", "causality"),
    ("locatedPlace", "country where the reaction occurred (the site's country, else the sender's)"),
    ("observation", "reaction: MedDRA code/version, dates, seriousness or outcome"),
    ("investigationEvent", "case identification, dates or narrative (C.1, H.1)"),
)


def error_hint(path):
    for fragment, hint in ERROR_HINTS:
        if fragment in path:
            return hint
    return "case data"


def _local_path(element):
    names = []
    while element is not None:
        names.append(etree.QName(element).localname)
        element = element.getparent()
    return "/" + "/".join(reversed(names))


def _case_id_of(element):
    while element is not None and etree.QName(element).localname != "PORR_IN049016UV":
        element = element.getparent()
    if element is None:
        return ""
    found = element.find(f".//{{{codes.HL7_NS}}}investigationEvent/{{{codes.HL7_NS}}}id")
    return found.get("extension") or "" if found is not None else ""


def validate_document(root) -> list[str]:
    """Schema errors of a built document, each naming the case and the data to fix; [] when valid."""
    document = etree.fromstring(serialize(root))  # re-parsed, so that every element has its line
    xml_schema = schema()
    if xml_schema.validate(document):
        return []
    by_line = {}
    for element in document.iter(etree.Element):
        by_line.setdefault(element.sourceline, element)
    problems = []
    for error in xml_schema.error_log:
        element = by_line.get(error.line)
        path = _local_path(element) if element is not None else (error.path or "")
        case_id = _case_id_of(element) if element is not None else ""
        prefix = f"case {case_id}: " if case_id else ""
        problems.append(f"{prefix}{error_hint(path)} – line {error.line} ({'/'.join(path.split('/')[-2:])}): {error.message}")
    return problems
