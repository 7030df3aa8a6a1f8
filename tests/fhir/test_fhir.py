"""FHIR R4: reactions as AdverseEvents that validate, search, and a Bundle POST that behaves like the form."""
import copy
from datetime import date

import pytest
from django.urls import reverse
from fhir.resources.R4B.adverseevent import AdverseEvent
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.medicationstatement import MedicationStatement
from fhir.resources.R4B.patient import Patient

from apps.reactions.models import InjectionSiteReaction
from tests.factories import PatientFactory, ReactionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def reaction(exposure):
    return ReactionFactory(
        patient=exposure.patient, product=exposure.product, reaction_ref="R-FHIR", onset_date=date(2025, 1, 10),
        resolution_date=date(2025, 1, 20), severity="moderate", symptoms=["erythema", "pain"],
        seriousness=["hospitalisation"], outcome="recovered", causality="possible", injection_site="thigh_left",
        meddra_llt_code="10022086", meddra_version="27.1", received_date=date(2025, 1, 12))


def test_a_reaction_is_an_adverse_event_that_validates_with_its_codes(client, reviewer, reaction, exposure):
    client.force_login(reviewer)
    response = client.get(f"/fhir/AdverseEvent/{reaction.pk}")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/fhir+json")
    event = AdverseEvent.model_validate(response.json())
    assert event.identifier.value == "R-FHIR" and event.actuality == "actual"
    assert event.subject.reference == f"Patient/{exposure.patient_id}"
    assert str(event.date) == "2025-01-10" and str(event.recordedDate) == "2025-01-12"
    assert [(c.system, c.code, c.version) for c in event.event.coding] == [
        ("http://terminology.hl7.org/CodeSystem/mdr", "10022086", "27.1")]
    assert {(c.system, c.code) for c in event.seriousness.coding} == {
        ("http://terminology.hl7.org/CodeSystem/adverse-event-seriousness", "serious"),
        ("urn:oid:2.16.840.1.113883.3.989.2.1.1.19", "33")}
    assert event.severity.coding[0].code == "moderate" and event.outcome.coding[0].code == "resolved"
    causality = event.suspectEntity[0].causality[0].assessment.coding[0]
    assert (causality.system, causality.code) == (
        "http://terminology.hl7.org/CodeSystem/adverse-event-causality-assess", "Possible")
    assert event.suspectEntity[0].instance.reference == f"MedicationStatement/{exposure.pk}"
    course = event.contained[0]
    assert course.get_resource_type() == "Condition" and event.resultingCondition[0].reference == "#course"
    assert (course.bodySite[0].coding[0].system, course.bodySite[0].coding[0].code) == (
        "http://snomed.info/sct", "68367000")
    assert course.bodySite[0].text == "Thigh, left" and str(course.abatementDateTime) == "2025-01-20"
    assert {c.code for e in course.evidence for concept in e.code for c in concept.coding} >= {"70819003", "22253000"}


def test_the_patient_and_the_exposure_period_validate_too(client, reviewer, reaction, exposure):
    client.force_login(reviewer)
    patient = Patient.model_validate(client.get(f"/fhir/Patient/{exposure.patient_id}").json())
    assert patient.gender == "female" and str(patient.birthDate) == "1960"
    assert patient.identifier[0].value == "site-01/P-001"
    statement = MedicationStatement.model_validate(client.get(f"/fhir/MedicationStatement/{exposure.pk}").json())
    assert statement.status == "active" and statement.medicationCodeableConcept.coding[0].code == "L04AC03"
    assert statement.dosage[0].route.coding[0].code == "34206005"
    assert statement.dosage[0].doseAndRate[0].doseQuantity.value == 100


def test_search_by_patient_and_date(client, reviewer, reaction, exposure):
    later = ReactionFactory(patient=exposure.patient, product=exposure.product, reaction_ref="R-LATER",
                            onset_date=date(2025, 3, 1))
    client.force_login(reviewer)
    bundle = Bundle.model_validate(client.get("/fhir/AdverseEvent", {
        "subject": f"Patient/{exposure.patient_id}", "date": "ge2025-02-01"}).json())
    matches = [e.resource for e in bundle.entry if e.search.mode == "match"]
    assert bundle.type == "searchset" and [m.identifier.value for m in matches] == ["R-LATER"]
    assert [e.resource.get_resource_type() for e in bundle.entry if e.search.mode == "include"] == ["Patient"]
    assert client.get("/fhir/AdverseEvent", {"date": "soon"}).status_code == 400
    assert later.pk != reaction.pk


def test_another_sites_reporter_gets_404_and_a_search_without_their_cases(client, other_reporter, reaction):
    client.force_login(other_reporter)
    missing = client.get(f"/fhir/AdverseEvent/{reaction.pk}")
    assert missing.status_code == 404 and missing.json()["resourceType"] == "OperationOutcome"
    assert client.get("/fhir/AdverseEvent").json().get("entry") is None


def bundle_of(*events):
    return {"resourceType": "Bundle", "type": "transaction",
            "entry": [{"resource": event, "request": {"method": "POST", "url": "AdverseEvent"}} for event in events]}


def exported_event(reaction):
    """The tracker's own AdverseEvent of `reaction`, under a new reference, for a POST."""
    from apps.fhir.resources import adverse_event_resource

    event = adverse_event_resource(reaction).model_dump(mode="json", exclude_none=True)
    event.pop("id")
    return event


def test_a_bundle_post_creates_the_same_draft_as_the_form(client, reporter, exposure):
    form_data = {"reaction_ref": "R-FORM", "product": exposure.product_id, "onset_date": "2025-02-03",
                 "resolution_date": "2025-02-09", "received_date": "2025-02-04", "severity": "mild",
                 "symptoms": ["erythema", "swelling"], "seriousness": [], "outcome": "recovered",
                 "action_taken": "unknown", "reporter_qualification": "other_health_professional",
                 "injection_site": "abdomen_right", "meddra_llt_code": "10022086", "meddra_version": "27.1"}
    client.force_login(reporter)
    assert client.post(reverse("reactions:create", args=[exposure.patient_id]), form_data).status_code == 302
    by_form = InjectionSiteReaction.objects.get(reaction_ref="R-FORM")

    event = exported_event(by_form)
    event["identifier"]["value"] = "R-FHIR-1"
    event["date"] = "2025-02-13"  # another event of the same patient (no duplicate)
    event["contained"][0]["onsetDateTime"] = "2025-02-13"
    event["contained"][0]["abatementDateTime"] = "2025-02-19"
    response = client.post("/fhir/", bundle_of(event), content_type="application/fhir+json")

    assert response.status_code == 200, response.json()
    assert Bundle.model_validate(response.json()).type == "transaction-response"
    by_fhir = InjectionSiteReaction.objects.get(reaction_ref="R-FHIR-1")
    fields = ["patient_id", "product_id", "severity", "symptoms", "seriousness", "outcome", "injection_site",
              "meddra_llt_code", "meddra_version", "status", "reporter_id", "received_date"]
    assert [getattr(by_fhir, f) for f in fields] == [getattr(by_form, f) for f in fields]
    assert (by_fhir.onset_date, by_fhir.resolution_date) == (date(2025, 2, 13), date(2025, 2, 19))


def test_bad_input_gets_the_forms_messages_and_nothing_is_created(client, reporter, exposure, reaction):
    client.force_login(reporter)
    event = exported_event(reaction)
    event["identifier"]["value"] = "R-EARLY"
    event["date"] = "2024-06-01"
    event["contained"][0]["onsetDateTime"] = "2024-06-01"
    event.pop("suspectEntity")  # the reporter cannot assess causality; the form has no such field for them
    good = copy.deepcopy(event)
    good["identifier"]["value"], good["date"] = "R-GOOD", "2025-04-01"
    good["contained"][0].pop("abatementDateTime")
    good["outcome"]["coding"][0]["code"] = "ongoing"

    form = client.post(reverse("reactions:create", args=[exposure.patient_id]), {
        "reaction_ref": "R-EARLY", "product": exposure.product_id, "onset_date": "2024-06-01",
        "resolution_date": "2025-01-20", "severity": "moderate", "symptoms": ["erythema"], "outcome": "recovered",
        "action_taken": "unknown", "reporter_qualification": "other_health_professional"})
    form_messages = form.context["form"].errors["onset_date"]

    response = client.post("/fhir/", bundle_of(good, event), content_type="application/fhir+json")
    assert response.status_code == 400
    issues = response.json()["issue"]
    assert [(i["expression"][0], i["diagnostics"]) for i in issues] == [
        ("Bundle.entry[1].resource.onset_date", message) for message in form_messages]
    assert not InjectionSiteReaction.objects.filter(reaction_ref__in=["R-GOOD", "R-EARLY"]).exists()


def test_a_resource_that_is_not_fhir_is_refused_with_its_location(client, reporter, exposure):
    client.force_login(reporter)
    bad = {"resourceType": "AdverseEvent", "actuality": "actual", "date": "last tuesday",
           "subject": {"reference": f"Patient/{exposure.patient_id}"}}
    response = client.post("/fhir/", bundle_of(bad), content_type="application/fhir+json")
    issue = response.json()["issue"][0]
    assert response.status_code == 400 and issue["expression"][0].endswith(".date"), issue
    other = client.post("/fhir/", {"resourceType": "Patient"}, content_type="application/fhir+json")
    assert other.status_code == 400


def test_an_analyst_may_read_but_not_post(client, analyst, reaction):
    client.force_login(analyst)
    assert client.get(f"/fhir/AdverseEvent/{reaction.pk}").status_code == 200
    assert client.post("/fhir/", bundle_of(exported_event(reaction)), content_type="application/fhir+json").status_code == 403
