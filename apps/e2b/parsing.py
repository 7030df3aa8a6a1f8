"""Reading received E2B(R3) batches: schema validation with line numbers, then one dict per ICSR.

The parser refuses DTDs, entities and network access (an ICSR file is untrusted input) and
keeps each element's source line, so that a refusal can point at the line to fix.
"""
from dataclasses import dataclass, field

from lxml import etree

from . import codes
from .xml import schema

NS = {"h": codes.HL7_NS, "xsi": codes.XSI_NS}
MAX_REPORTED_ERRORS = 10

# G.k.1 characterisation of drug role (E2B(R3) list 1.13); D.8 drug history is not a G.k drug.
DRUG_ROLES = {"1": "suspect", "2": "concomitant", "3": "interacting", "4": "drug not administered"}
DRUG_HISTORY_ROLE = "drug history (D.8)"
SERIOUSNESS_BY_CODE = {obs_code: str(criterion) for obs_code, _display, criterion in codes.SERIOUSNESS_OBSERVATIONS}
# C.1.11.1 nullification / amendment (list 1.5).
NULLIFICATION, AMENDMENT = "1", "2"


def secure_parser():
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
                           remove_comments=True)


@dataclass
class ParsedBatch:
    """A received file: valid or not, with what the acknowledgement needs either way."""

    errors: list = field(default_factory=list)
    batch_id: str = ""
    batch_sender: str = ""
    batch_receiver: str = ""
    batch_created: str = ""
    cases: list = field(default_factory=list)
    raw_messages: list = field(default_factory=list)  # each PORR_IN049016UV as received, beside `cases`

    @property
    def is_valid(self):
        return not self.errors


def read_batch(content: bytes) -> ParsedBatch:
    """Well-formedness and the ICH schemas first; cases are parsed only from a valid file."""
    try:
        root = etree.fromstring(content, secure_parser())
    except etree.XMLSyntaxError as error:
        line = error.lineno or (error.position[0] if error.position else 0)
        return ParsedBatch(errors=[f"line {line}: the file is not well-formed XML: {error.msg}"])
    batch = ParsedBatch(batch_id=_attr(root, "h:id", "extension"),
                        batch_sender=_attr(root, "h:sender/h:device/h:id", "extension"),
                        batch_receiver=_attr(root, "h:receiver/h:device/h:id", "extension"),
                        batch_created=_attr(root, "h:creationTime", "value"))
    xml_schema = schema()
    if not xml_schema.validate(root):
        errors = list(xml_schema.error_log)
        batch.errors = [f"line {error.line}: {error.message}" for error in errors[:MAX_REPORTED_ERRORS]]
        if len(errors) > MAX_REPORTED_ERRORS:
            batch.errors.append(f"… and {len(errors) - MAX_REPORTED_ERRORS} more schema errors.")
        return batch
    messages = list(root.iterfind("h:PORR_IN049016UV", NS))
    batch.cases = [parse_message(message) for message in messages]
    batch.raw_messages = [etree.tostring(message, encoding="unicode") for message in messages]
    if not batch.cases:
        batch.errors = ["line 1: the batch holds no ICSR message (PORR_IN049016UV)."]
    return batch


def _first(element, path):
    found = element.xpath(path, namespaces=NS)
    return found[0] if found else None


def _attr(element, path, name):
    found = _first(element, path)
    return (found.get(name) or "") if found is not None else ""


def _get(element, name):
    return (element.get(name) or "") if element is not None else ""


def _text(element, path):
    found = _first(element, path)
    return (found.text or "").strip() if found is not None and found.text else ""


def _time_bounds(effective_time):
    """Low and high of an IVL_TS, or of the SXPR_TS the tracker's own export sends."""
    if effective_time is None:
        return "", ""
    return (_attr(effective_time, "(h:low | h:comp/h:low)[1]", "value"),
            _attr(effective_time, "(h:high | h:comp/h:high)[1]", "value"))


def _observation_value(observations, obs_code):
    for observation in observations:
        if _attr(observation, "h:code", "code") == obs_code:
            return _first(observation, "h:value")
    return None


def parse_reaction(observation):
    onset, end = _time_bounds(_first(observation, "h:effectiveTime"))
    value = _first(observation, "h:value")
    related = observation.xpath("h:outboundRelationship2/h:observation", namespaces=NS)
    seriousness = [criterion for obs_code, criterion in SERIOUSNESS_BY_CODE.items()
                   if (v := _observation_value(related, obs_code)) is not None and v.get("value") == "true"]
    return {
        "id": _attr(observation, "h:id", "root"),
        "meddra_code": _get(value, "code"),
        "meddra_version": _get(value, "codeSystemVersion"),
        "reported_term": _text(observation, "h:value/h:originalText"),
        "onset": onset,
        "end": end,
        "outcome": _get(_observation_value(related, "27"), "code"),
        "seriousness": seriousness,
        "country": _attr(observation, "h:location/h:locatedEntity/h:locatedPlace/h:code", "code"),
        "line": observation.sourceline,
    }


def parse_drug(administration, roles, role=None):
    dosages = []
    for dose in administration.xpath("h:outboundRelationship2/h:substanceAdministration", namespaces=NS):
        start, end = _time_bounds(_first(dose, "h:effectiveTime"))
        dosages.append({
            "dose": _attr(dose, "h:doseQuantity", "value"), "unit": _attr(dose, "h:doseQuantity", "unit"),
            "route_code": _attr(dose, "h:routeCode", "code"),
            "route": _text(dose, "h:routeCode/h:originalText") or _attr(dose, "h:routeCode", "displayName"),
            "start": start, "end": end, "text": _text(dose, "h:text"),
            "lot": _text(dose, "h:consumable/h:instanceOfKind/h:productInstanceInstance/h:lotNumberText"),
        })
    drug_id = _attr(administration, "h:id", "root")
    return {
        "id": drug_id,
        "name": _text(administration, "h:consumable/h:instanceOfKind/h:kindOfProduct/h:name"),
        "role": role or roles.get(drug_id, ""),
        "dosages": dosages,
    }


def parse_message(message) -> dict:
    """The fields the inbox keeps of one PORR_IN049016UV message (values as written in the XML)."""
    event = _first(message, "h:controlActProcess/h:subject/h:investigationEvent")
    role_element = _first(event, "h:component/h:adverseEventAssessment/h:subject1/h:primaryRole")
    assessment = _first(event, "h:component/h:adverseEventAssessment")
    roles = {}
    for characterisation in assessment.xpath("h:component/h:causalityAssessment[h:code/@code='20']", namespaces=NS):
        roles[_attr(characterisation, "h:subject2/h:productUseReference/h:id", "root")] = DRUG_ROLES.get(
            _attr(characterisation, "h:value", "code"), "")
    person = _first(role_element, "h:player1")
    age = _first(role_element, "h:subjectOf2/h:observation[h:code/@code='3']/h:value")
    drugs = [parse_drug(sa, roles, DRUG_HISTORY_ROLE) for sa in role_element.xpath(
        "h:subjectOf2/h:organizer[h:code/@code='2']/h:component/h:substanceAdministration", namespaces=NS)]
    drugs += [parse_drug(sa, roles) for sa in role_element.xpath(
        "h:subjectOf2/h:organizer[h:code/@code='4']/h:component/h:substanceAdministration", namespaces=NS)]
    source = _first(event, "h:outboundRelationship[h:relatedInvestigation/h:code/@code='2']"
                           "/h:relatedInvestigation/h:subjectOf2/h:controlActEvent/h:author/h:assignedEntity")
    sender = _first(event, "h:subjectOf1/h:controlActEvent/h:author/h:assignedEntity")
    characteristics = event.xpath("h:subjectOf2/h:investigationCharacteristic", namespaces=NS)
    nullification = _observation_value(characteristics, "3")
    nullification_reason = _observation_value(characteristics, "4")
    return {
        "message_id": _attr(message, "h:id", "extension"),
        "message_created": _attr(message, "h:creationTime", "value"),
        "sender": _attr(message, "h:sender/h:device/h:id", "extension"),
        "receiver": _attr(message, "h:receiver/h:device/h:id", "extension"),
        "case_id": _attr(event, f"h:id[@root='{codes.OID_CASE_ID}']", "extension"),
        "worldwide_id": _attr(event, f"h:id[@root='{codes.OID_WORLDWIDE_CASE_ID}']", "extension"),
        "first_received": _attr(event, "h:effectiveTime/h:low", "value"),
        "most_recent": _attr(event, "h:availabilityTime", "value"),
        "report_type": _get(_observation_value(characteristics, "1"), "code"),
        "nullification": _get(nullification, "code"),
        "nullification_reason": (_text(nullification_reason, "h:originalText") or (nullification_reason.text or "")
                                 if nullification_reason is not None else ""),
        "sender_type": _attr(sender, "h:code", "code") if sender is not None else "",
        "sender_organisation": _text(sender, "h:representedOrganization/h:assignedEntity/h:representedOrganization/h:name") if sender is not None
        else "",
        "sender_country": _attr(sender, "h:assignedPerson/h:asLocatedEntity/h:location/h:code", "code")
        if sender is not None else "",
        "primary_source_qualification": _attr(source, "h:assignedPerson/h:asQualifiedEntity/h:code", "code")
        if source is not None else "",
        "primary_source_country": _attr(source, "h:assignedPerson/h:asLocatedEntity/h:location/h:code", "code")
        if source is not None else "",
        "patient_sex": _attr(person, "h:administrativeGenderCode", "code") if person is not None else "",
        "patient_age": _get(age, "value"),
        "patient_age_unit": _get(age, "unit"),
        "patient_name": _text(person, "h:name") if person is not None else "",
        "narrative": _text(event, "h:text"),
        "reactions": [parse_reaction(obs) for obs in role_element.xpath(
            "h:subjectOf2/h:observation[h:code/@code='29']", namespaces=NS)],
        "drugs": drugs,
        "line": message.sourceline,
    }
