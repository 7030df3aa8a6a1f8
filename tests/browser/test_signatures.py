"""Electronic signatures in a real browser: locking asks for the password and the meaning, a wrong
password locks nothing, the signature shows on the case page and in the PDF case form, and the
person who entered a case cannot lock it (four eyes)."""
from datetime import date
from io import BytesIO

import pytest
from pypdf import PdfReader

from apps.audit.models import Signature
from apps.reactions.models import InjectionSiteReaction
from tests.factories import PASSWORD, ExposurePeriodFactory, PatientFactory, ReactionFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def submitted(site, product, reporter):
    patient = PatientFactory(site=site, patient_ref="P-SIG")
    ExposurePeriodFactory(patient=patient, product=product, start_date=date(2025, 1, 1))
    return ReactionFactory(patient=patient, product=product, reaction_ref="R-SIG", status="submitted",
                           reporter=reporter, submitted_by=reporter, onset_date=date(2025, 2, 1),
                           resolution_date=date(2025, 2, 5), outcome="recovered", symptoms=["erythema"])


def test_locking_asks_for_password_and_meaning_and_a_wrong_password_locks_nothing(
        page, login, live_server, submitted, sender):
    reviewer = UserFactory(username="reviewer-sig", first_name="Rita", last_name="Rossi", roles=["reviewer"])
    login(reviewer)
    page.goto(f"{live_server.url}/reactions/{submitted.pk}/")
    page.click("#review-button")
    assert page.locator("#id_password").get_attribute("type") == "password"
    assert page.locator("#id_meaning option").all_inner_texts()[-2:] == [
        "Reviewed and approved", "Reviewed; causality assessed"]
    page.select_option("#id_causality", "probable")
    page.select_option("#id_meaning", "reviewed_approved")
    page.fill("#id_password", "not-my-password")
    page.click("button:has-text('Review and lock')")
    assert "The password is not correct" in page.locator("[data-field=password]").inner_text()
    submitted.refresh_from_db()
    assert submitted.status == "submitted" and not Signature.objects.exists()

    page.select_option("#id_causality", "probable")
    page.select_option("#id_meaning", "reviewed_approved")
    page.fill("#id_password", PASSWORD)
    page.click("button:has-text('Review and lock')")
    page.wait_for_url(f"{live_server.url}/reactions/{submitted.pk}/")
    assert page.locator("#status-badge").inner_text() == "Reviewed (locked)"
    signature = page.locator("#signatures .pv-signature").inner_text()
    assert "Rita Rossi (reviewer-sig)" in signature and "Reviewed and approved" in signature
    assert "UTC" in signature  # the date-time carries its zone

    response = page.request.get(f"{live_server.url}/e2b/reactions/{submitted.pk}/case-form.pdf")
    assert response.ok
    text = "".join(p.extract_text() for p in PdfReader(BytesIO(response.body())).pages)
    assert "Rita Rossi (reviewer-sig)" in text and "Reviewed and approved" in text

    page.goto(f"{live_server.url}/reactions/{submitted.pk}/history/")
    assert "Reviewed and approved" in page.locator("#signatures").inner_text()
    assert InjectionSiteReaction.objects.get(pk=submitted.pk).reviewed_by == reviewer


def test_the_person_who_entered_a_case_cannot_lock_it(page, login, live_server, submitted, site, product):
    own = UserFactory(username="reviewer-own", roles=["reviewer"])
    InjectionSiteReaction.objects.filter(pk=submitted.pk).update(reporter=own)
    login(own)
    page.goto(f"{live_server.url}/reactions/{submitted.pk}/")
    assert page.locator("#review-button").count() == 0
    response = page.goto(f"{live_server.url}/reactions/{submitted.pk}/review/")
    assert response.status == 403
    assert "Four eyes" in page.locator("[data-reason]").inner_text()
    page.console_errors.clear()  # the 403 itself is logged by the browser
    submitted.refresh_from_db()
    assert submitted.status == "submitted"
