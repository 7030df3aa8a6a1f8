"""The E2B web pages: who may export or print which case, and what a refusal shows."""
from io import BytesIO

import pytest
from django.urls import reverse
from pypdf import PdfReader

from apps.e2b import xml
from apps.e2b.models import E2bExport, SenderOrganisation
from tests.e2b.icsr import messages, parse, read_case
from tests.factories import ExposurePeriodFactory, PatientFactory, ReactionFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def other_site_case(other_site, product):
    patient = PatientFactory(site=other_site)
    ExposurePeriodFactory(patient=patient, product=product)
    return ReactionFactory(patient=patient, meddra_llt_code="10022086", meddra_version="27.1", causality="possible")


@pytest.fixture
def site_reviewer(site):
    return UserFactory(username="site-reviewer", site=site, roles=["reviewer"])


def urls(reaction):
    return [reverse(name, args=[reaction.pk]) for name in
            ("e2b:reaction_export", "e2b:case_exports", "e2b:case_form", "e2b:case_form_pdf")]


def test_every_page_requires_a_login(client, sender, make_case):
    reaction = make_case()
    for url in urls(reaction) + [reverse("e2b:batch_export")]:
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("login")), url


def test_a_reviewer_downloads_a_validated_case(client, sender, make_case, reviewer):
    reaction = make_case()
    client.force_login(reviewer)
    response = client.get(reverse("e2b:reaction_export", args=[reaction.pk]))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/xml")
    assert response["Content-Disposition"] == f'attachment; filename="GB-PVTRACK-{reaction.reaction_ref}-v1.xml"'
    root = parse(response.content)
    assert xml.schema().validate(root)
    assert read_case(messages(root)[0])["case_id"] == f"GB-PVTRACK-{reaction.reaction_ref}"
    export = E2bExport.objects.get()
    assert export.created_by == reviewer and export.reaction == reaction


def test_reporters_and_analysts_cannot_export(client, sender, make_case, reporter, analyst):
    reaction = make_case()
    for user in (reporter, analyst):
        client.force_login(user)
        assert client.get(reverse("e2b:reaction_export", args=[reaction.pk])).status_code == 403
        assert client.post(reverse("e2b:batch_export"), {"reaction": [reaction.pk]}).status_code == 403
    assert not E2bExport.objects.exists()


def test_a_site_bound_user_gets_404_for_another_sites_case(client, sender, other_site_case, site_reviewer, reporter):
    for user in (site_reviewer, reporter):
        client.force_login(user)
        for url in urls(other_site_case):
            assert client.get(url).status_code == 404, (user, url)
    client.force_login(site_reviewer)
    response = client.post(reverse("e2b:batch_export"), {"reaction": [other_site_case.pk]})
    assert response.status_code == 400
    assert f"No reaction with id {other_site_case.pk} in your scope." in response.content.decode()
    assert not E2bExport.objects.exists()


def test_a_user_without_a_role_sees_no_case(client, sender, make_case):
    reaction = make_case()
    client.force_login(UserFactory(username="nobody"))
    assert client.get(reverse("e2b:case_form", args=[reaction.pk])).status_code == 403


def test_an_incomplete_case_is_refused_on_the_web_with_what_it_lacks(client, sender, make_case, reviewer):
    reaction = make_case(meddra_llt_code="", causality="")
    client.force_login(reviewer)
    response = client.get(reverse("e2b:reaction_export", args=[reaction.pk]))

    assert response.status_code == 400
    page = response.content.decode()
    assert reaction.reaction_ref in page
    assert "MedDRA LLT code (E.i.2.1b) is missing." in page
    assert "Causality (G.k.9.i.2.r.3) has not been assessed by a reviewer." in page
    assert not E2bExport.objects.exists()


def test_without_a_sender_organisation_the_web_export_says_so(client, make_case, reviewer):
    reaction = make_case()
    client.force_login(reviewer)
    response = client.get(reverse("e2b:reaction_export", args=[reaction.pk]))
    assert response.status_code == 400
    assert "No E2B sender organisation is configured" in response.content.decode()


def test_an_invalid_document_is_not_downloaded_and_the_page_names_the_setting(client, sender, make_case, reviewer):
    SenderOrganisation.objects.filter(pk=sender.pk).update(receiver_identifier="")
    reaction = make_case()
    client.force_login(reviewer)
    response = client.get(reverse("e2b:reaction_export", args=[reaction.pk]))

    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    assert "receiver identifier (E2B sender organisation settings)" in response.content.decode()
    assert not E2bExport.objects.exists()


def test_a_batch_is_posted_from_a_list_of_ticked_cases(client, sender, make_case, reviewer):
    first, second = make_case(status="reviewed"), make_case(status="reviewed", seriousness=["other_medically_important"])
    client.force_login(reviewer)
    listing = client.get(reverse("e2b:batch_export"))
    assert listing.status_code == 200
    assert first.reaction_ref in listing.content.decode()
    assert reverse("reactions:detail", args=[first.pk]) in listing.content.decode()

    response = client.post(reverse("e2b:batch_export"), {"reaction": [second.pk, first.pk]})
    assert response.status_code == 200
    root = parse(response.content)
    assert xml.schema().validate(root)
    assert [read_case(m)["case_id"] for m in messages(root)] == [
        f"GB-PVTRACK-{second.reaction_ref}", f"GB-PVTRACK-{first.reaction_ref}"]


def test_a_batch_with_one_incomplete_case_is_refused_whole(client, sender, make_case, reviewer):
    ready, uncoded = make_case(status="reviewed"), make_case(status="reviewed", meddra_version="")
    client.force_login(reviewer)
    response = client.post(reverse("e2b:batch_export"), {"reaction": [ready.pk, uncoded.pk]})
    assert response.status_code == 400
    page = response.content.decode()
    assert uncoded.reaction_ref in page and "MedDRA version (E.i.2.1a) is missing." in page
    assert not E2bExport.objects.exists()


@pytest.mark.parametrize(("data", "message"), [
    ({}, "Select at least one reaction to export."),
    ({"reaction": ["abc"]}, "Not a reaction id: abc."),
    ({"reaction": ["999999"]}, "No reaction with id 999999 in your scope."),
])
def test_a_bad_batch_request_is_refused_with_a_message(client, sender, reviewer, data, message):
    client.force_login(reviewer)
    response = client.post(reverse("e2b:batch_export"), data)
    assert response.status_code == 400
    assert message in response.content.decode()


def test_the_export_history_lists_each_version(client, sender, make_case, reviewer):
    reaction = make_case()
    client.force_login(reviewer)
    client.get(reverse("e2b:reaction_export", args=[reaction.pk]))
    page = client.get(reverse("e2b:case_exports", args=[reaction.pk])).content.decode()
    export = E2bExport.objects.get()
    assert export.message_id in page and export.batch_sha256 in page and "reviewer" in page


def test_a_reporter_prints_the_case_form_of_their_own_site(client, sender, make_case, reporter):
    reaction = make_case(seriousness=["hospitalisation"], resolution_date=None, outcome="not_recovered")
    client.force_login(reporter)
    response = client.get(reverse("e2b:case_form", args=[reaction.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Suspect adverse reaction report (CIOMS I format)" in page
    assert f"GB-PVTRACK-{reaction.reaction_ref}" in page
    assert "[X] Involved or prolonged inpatient hospitalisation" in page
    assert "ongoing at last observation" in page
    assert "P-001" not in page
    assert "@media print" in page


def test_the_case_form_pdf_is_a_real_pdf(client, sender, make_case, reporter):
    reaction = make_case()
    client.force_login(reporter)
    response = client.get(reverse("e2b:case_form_pdf", args=[reaction.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    text = "".join(page.extract_text() for page in PdfReader(BytesIO(response.content)).pages)
    assert "CIOMS I format" in text
    assert reaction.reaction_ref in text
    assert "Kineret (anakinra)" in text
