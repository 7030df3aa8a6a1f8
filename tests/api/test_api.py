"""The REST API: the web's services, validation, policy and scoping, through tokens and sessions."""
from datetime import date

import pytest
from rest_framework.authtoken.models import Token

from apps.patients.models import Patient
from apps.reactions.models import InjectionSiteReaction
from tests.factories import ExposurePeriodFactory, PatientFactory, ReactionFactory

pytestmark = pytest.mark.django_db

REACTION = {"reaction_ref": "API-1", "product": "anakinra", "onset_date": "2025-01-10", "severity": "mild",
            "symptoms": ["erythema"], "outcome": "recovering", "action_taken": "unchanged",
            "reporter_qualification": "physician", "received_date": "2025-01-11"}


def reaction_body(patient, **changes):
    return {**REACTION, "patient": patient.pk, **changes}


def test_a_reporter_token_reads_its_own_site_and_never_another(api_as, reporter, patient, other_site):
    theirs = PatientFactory(site=other_site, patient_ref="P-THEIRS")
    client = api_as(reporter)
    listed = client.get("/api/v1/patients/").json()["results"]
    assert [row["patient_ref"] for row in listed] == ["P-001"]
    assert client.get(f"/api/v1/patients/{patient.pk}/").json()["site"] == "site-01"
    assert client.get(f"/api/v1/patients/{theirs.pk}/").status_code == 404
    theirs_reaction = ReactionFactory(patient=theirs, product=ExposurePeriodFactory(patient=theirs).product)
    assert client.get(f"/api/v1/reactions/{theirs_reaction.pk}/").status_code == 404
    assert client.get("/api/v1/reactions/").json()["results"] == []


def test_a_revoked_token_no_longer_authenticates(api_as, reporter):
    client = api_as(reporter)
    assert client.get("/api/v1/patients/").status_code == 200
    Token.objects.filter(user=reporter).delete()
    assert client.get("/api/v1/patients/").status_code == 401


def test_a_reaction_is_created_through_the_service_as_a_draft(api_as, reporter, exposure):
    response = api_as(reporter).post("/api/v1/reactions/", reaction_body(exposure.patient), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "draft" and body["symptoms"] == ["erythema"] and body["version"] == 1
    reaction = InjectionSiteReaction.objects.get(reaction_ref="API-1")
    assert reaction.reporter == reporter and reaction.received_date == date(2025, 1, 11)
    assert reaction.history.first().history_user == reporter


def test_validation_errors_name_the_field_with_the_services_message(api_as, reporter, exposure):
    client = api_as(reporter)
    before = client.post("/api/v1/reactions/", reaction_body(exposure.patient, onset_date="2024-12-01"), format="json")
    assert before.status_code == 400
    assert before.json() == {"onset_date": [
        "The onset (2024-12-01) is before the patient's first exposure to this product (2025-01-01)."]}
    typed = client.post("/api/v1/reactions/", reaction_body(exposure.patient, onset_date="10/01/2025",
                                                            symptoms=["rash"]), format="json")
    assert typed.status_code == 400 and set(typed.json()) == {"onset_date", "symptoms"}
    fatal = client.post("/api/v1/reactions/", reaction_body(exposure.patient, outcome="fatal"), format="json")
    assert "seriousness" in fatal.json()
    assert InjectionSiteReaction.objects.count() == 0


def test_a_retried_post_with_the_same_idempotency_key_gives_the_same_record(api_as, reporter, exposure):
    client = api_as(reporter)
    body = reaction_body(exposure.patient)
    first = client.post("/api/v1/reactions/", body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    retry = client.post("/api/v1/reactions/", body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == retry.status_code == 201
    assert retry.json()["id"] == first.json()["id"] and retry["Idempotent-Replayed"] == "true"
    assert InjectionSiteReaction.objects.count() == 1
    other = client.post("/api/v1/reactions/", {**body, "reaction_ref": "API-2"}, format="json",
                        HTTP_IDEMPOTENCY_KEY="k-1")
    assert other.status_code == 422 and "Idempotency-Key" in other.json()
    # Without a key, a retry is a second attempt: the service refuses the duplicate reference.
    again = client.post("/api/v1/reactions/", body, format="json")
    assert again.status_code == 400 and "reaction_ref" in again.json()


def test_a_failed_post_stores_no_key_so_a_corrected_retry_goes_through(api_as, reporter, exposure):
    client = api_as(reporter)
    bad = client.post("/api/v1/reactions/", reaction_body(exposure.patient, onset_date="2024-12-01"), format="json",
                      HTTP_IDEMPOTENCY_KEY="k-2")
    assert bad.status_code == 400
    good = client.post("/api/v1/reactions/", reaction_body(exposure.patient, onset_date="2024-12-01"), format="json",
                       HTTP_IDEMPOTENCY_KEY="k-3")
    assert good.status_code == 400  # same refusal for the same body


def test_a_draft_is_updated_while_allowed_and_submitted_then_locked_for_the_reporter(api_as, reporter, exposure):
    client = api_as(reporter)
    pk = client.post("/api/v1/reactions/", reaction_body(exposure.patient), format="json").json()["id"]
    edited = client.patch(f"/api/v1/reactions/{pk}/", {"severity": "moderate", "expected_version": 1},
                          format="json")
    assert edited.status_code == 200 and edited.json()["severity"] == "moderate" and edited.json()["version"] == 2
    stale = client.patch(f"/api/v1/reactions/{pk}/", {"severity": "severe", "expected_version": 1}, format="json")
    assert stale.status_code == 400 and "Someone else saved this reaction" in str(stale.json())
    submitted = client.post(f"/api/v1/reactions/{pk}/submit/")
    assert submitted.status_code == 200 and submitted.json()["status"] == "submitted"
    locked = client.patch(f"/api/v1/reactions/{pk}/", {"severity": "severe"}, format="json")
    assert locked.status_code == 403 and "Only drafts and returned cases can be edited" in locked.json()["detail"]
    again = client.post(f"/api/v1/reactions/{pk}/submit/")  # the record's state, not the role, refuses it
    assert again.status_code == 400 and "Only a draft or a returned case can be submitted" in str(again.json())


def test_an_analyst_reads_but_cannot_write(api_as, analyst, exposure):
    client = api_as(analyst)
    assert client.get("/api/v1/reactions/").status_code == 200
    assert client.post("/api/v1/reactions/", reaction_body(exposure.patient), format="json").status_code == 403


def test_a_reporter_cannot_create_a_patient_at_another_site(api_as, reporter, other_site):
    response = api_as(reporter).post("/api/v1/patients/", {"site": "site-02", "patient_ref": "X", "sex": "male"},
                                     format="json")
    assert response.status_code == 400 and "site" in response.json()
    assert not Patient.objects.filter(patient_ref="X").exists()


def test_listings_page_by_cursor_and_filter_like_the_web(api_as, reviewer, exposure):
    for day, seriousness in ((5, []), (6, ["hospitalisation"]), (7, [])):
        ReactionFactory(patient=exposure.patient, product=exposure.product, onset_date=date(2025, 1, day),
                        seriousness=seriousness, reaction_ref=f"R-{day}")
    client = api_as(reviewer)
    page = client.get("/api/v1/reactions/", {"page_size": 2}).json()
    assert [row["reaction_ref"] for row in page["results"]] == ["R-7", "R-6"] and page["next"]
    rest = client.get(page["next"]).json()
    assert [row["reaction_ref"] for row in rest["results"]] == ["R-5"] and rest["next"] is None
    serious = client.get("/api/v1/reactions/", {"serious": "yes"}).json()["results"]
    assert [row["reaction_ref"] for row in serious] == ["R-6"]
    bad = client.get("/api/v1/reactions/", {"onset_date_after": "not-a-date"})
    assert bad.status_code == 400 and "onset_date" in bad.json()


def test_an_exposure_is_created_through_the_service_and_overlaps_are_refused(api_as, reporter, exposure):
    client = api_as(reporter)
    body = {"patient": exposure.patient.pk, "product": "anakinra", "start_date": "2025-01-05",
            "dose_mg_per_day": "100.00", "route": "subcutaneous"}
    response = client.post("/api/v1/exposures/", body, format="json")
    assert response.status_code == 400 and response.json()  # overlaps the ongoing period from 2025-01-01


def test_reports_are_requested_and_read_by_analysts_only(api_as, analyst, reporter, site):
    client = api_as(analyst)
    response = client.post("/api/v1/reports/", {"product": "anakinra", "as_of": "2025-06-30"}, format="json")
    assert response.status_code == 201, response.json()
    report = response.json()
    assert report["product"] == "anakinra" and report["status"] == "queued"
    assert client.get(f"/api/v1/reports/{report['id']}/").json()["id"] == report["id"]
    future = client.post("/api/v1/reports/", {"product": "anakinra", "as_of": "2999-01-01"}, format="json")
    assert future.status_code == 400 and future.json() == {"as_of": ["The as-of date cannot be in the future."]}
    unknown = client.post("/api/v1/reports/", {"product": "nothing", "as_of": "2025-06-30", "site": "site-99"},
                          format="json")
    assert unknown.status_code == 400 and set(unknown.json()) == {"product", "site"}
    assert api_as(reporter).get("/api/v1/reports/").status_code == 403


def test_reference_profiles_are_read_only(api_as, reporter, product):
    client = api_as(reporter)
    profiles = client.get("/api/v1/reference-profiles/").json()["results"]
    assert any(p["is_current"] and p["product"] == "anakinra" for p in profiles)
    assert client.post("/api/v1/reference-profiles/", {}, format="json").status_code == 405


def test_the_browser_session_works_too(client, reporter, patient):
    client.force_login(reporter)
    assert client.get("/api/v1/patients/").json()["results"][0]["patient_ref"] == "P-001"


def test_the_schema_and_the_docs_page_come_from_the_app_without_inline_scripts(client, reviewer):
    client.force_login(reviewer)
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200 and "/api/v1/reactions/{id}/submit/" in schema.json()["paths"]
    docs = client.get("/api/docs/")
    html = docs.content.decode()
    assert docs.status_code == 200 and "drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    assert "http://" not in html.replace("http://www.w3.org", "") and "https://" not in html
    import re

    inline = [tag for tag in re.findall(r"<script[^>]*>", html) if "src=" not in tag]
    assert inline == []
    assert "script-src 'self'" in docs["Content-Security-Policy"]
