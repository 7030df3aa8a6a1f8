"""Reads an exported ICSR back into plain values, to compare with the record."""
from lxml import etree

from apps.e2b import codes

NS = {"h": codes.HL7_NS, "xsi": codes.XSI_NS}
SERIOUSNESS_CODES = {obs_code: criterion for obs_code, _, criterion in codes.SERIOUSNESS_OBSERVATIONS}


def parse(content):
    return etree.fromstring(content)


def messages(root):
    return root.findall("h:PORR_IN049016UV", NS)


def first(node, path, attribute=None):
    found = node.xpath(path, namespaces=NS)
    assert found, f"{path} not found"
    return found[0].get(attribute) if attribute else found[0]


def read_case(message):
    """The key fields of one PORR_IN049016UV message."""
    event = first(message, ".//h:investigationEvent")
    reaction = first(event, ".//h:primaryRole/h:subjectOf2/h:observation[h:code/@code='29']")
    flags = {}
    for obs_code, criterion in SERIOUSNESS_CODES.items():
        value = first(reaction, f"h:outboundRelationship2/h:observation[h:code/@code='{obs_code}']/h:value")
        flags[criterion] = value.get("value") == "true"
        assert value.get("value") == "true" or value.get("nullFlavor") == "NI"
    times = reaction.xpath(".//h:low/@value", namespaces=NS)
    ends = reaction.xpath(".//h:high/@value", namespaces=NS)
    widths = reaction.xpath(".//h:width", namespaces=NS)
    drug = first(event, ".//h:organizer[h:code/@code='4']/h:component/h:substanceAdministration")
    dosage = first(drug, "h:outboundRelationship2/h:substanceAdministration")
    gender = first(event, ".//h:player1/h:administrativeGenderCode")
    age = event.xpath(".//h:primaryRole/h:subjectOf2/h:observation[h:code/@code='3']/h:value", namespaces=NS)
    lots = dosage.xpath(".//h:lotNumberText/text()", namespaces=NS)
    return {
        "case_id": first(event, "h:id[@root='2.16.840.1.113883.3.989.2.1.3.1']", "extension"),
        "worldwide_case_id": first(event, "h:id[@root='2.16.840.1.113883.3.989.2.1.3.2']", "extension"),
        "patient_name_flavor": first(event, ".//h:player1/h:name", "nullFlavor"),
        "sex": gender.get("code") or gender.get("nullFlavor"),
        "age": (age[0].get("value"), age[0].get("unit")) if age else None,
        "onset": times[0],
        "end": ends[0] if ends else None,
        "duration": (widths[0].get("value"), widths[0].get("unit")) if widths else None,
        "outcome": first(reaction, "h:outboundRelationship2/h:observation[h:code/@code='27']/h:value", "code"),
        "seriousness": flags,
        "meddra_code": first(reaction, "h:value", "code"),
        "meddra_version": first(reaction, "h:value", "codeSystemVersion"),
        "reaction_text": first(reaction, "h:value/h:originalText").text,
        "drug": first(drug, ".//h:kindOfProduct/h:name").text,
        "dose": (first(dosage, "h:doseQuantity", "value"), first(dosage, "h:doseQuantity", "unit")),
        "route": first(dosage, "h:routeCode", "code"),
        "start": first(dosage, ".//h:comp[@operator='A']/h:low", "value"),
        "lot": lots[0] if lots else None,
        "action": first(drug, "h:inboundRelationship/h:act/h:code", "code"),
        "drug_role": first(event, ".//h:causalityAssessment[h:code/@code='20']/h:value", "code"),
        "causality": first(event, ".//h:causalityAssessment[h:code/@code='39']/h:value").text,
        "causality_method": first(event, ".//h:causalityAssessment[h:code/@code='39']/h:methodCode/h:originalText").text,
        "qualification": first(event, ".//h:asQualifiedEntity/h:code", "code"),
        "reporter_names": [n.get("nullFlavor") for n in event.xpath(".//h:assignedPerson/h:name/*", namespaces=NS)],
        "expedited": first(event, "h:component/h:observationEvent[h:code/@code='23']/h:value", "value"),
        "report_type": first(event, "h:subjectOf2/h:investigationCharacteristic[h:code/@code='1']/h:value", "code"),
        "first_received": first(event, "h:effectiveTime/h:low", "value"),
        "most_recent": first(event, "h:availabilityTime", "value"),
        "narrative": first(event, "h:text").text,
        "message_id": first(message, "h:id", "extension"),
    }
