"""The daily work of a site and a safety team in a real browser: a reaction reported from the
dashboard in a few page loads, a question back to the site, its answer, the lock, then a
follow-up on the locked case that is reviewed and exported as version 2 of the same case."""
from datetime import date
from pathlib import Path

import pytest
from lxml import etree

from apps.core.models import today
from apps.e2b import xml as e2b_xml
from apps.reactions.models import InjectionSiteReaction, ReactionComment
from tests.factories import PASSWORD, ExposurePeriodFactory, PatientFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def site_patient(site, product):
    patient = PatientFactory(site=site, patient_ref="P-200")
    ExposurePeriodFactory(patient=patient, product=product, start_date=date(2025, 1, 6))
    return patient


def count_page_loads(page):
    loads = []
    page.on("load", lambda _: loads.append(page.url))
    return loads


def report_from_the_dashboard(page, live_server):
    loads = count_page_loads(page)
    page.click("#report-reaction")
    page.fill("#id_patient_ref", "p-200")
    page.click("button:has-text('Find the patient')")  # one exact match: straight to the form
    page.wait_for_url(f"{live_server.url}/reactions/new/*/")
    page.fill("#id_onset_date", "2025-02-03")
    page.fill("#id_resolution_date", "2025-02-20")
    page.select_option("#id_severity", "moderate")
    page.select_option("#id_ctcae_grade", "2")
    page.check("input[name=symptoms][value=erythema]")
    page.select_option("#id_outcome", "recovered")
    page.select_option("#id_injection_site", "abdomen_left")
    page.click("button:has-text('Save')")
    page.wait_for_url(f"{live_server.url}/reactions/*/")
    page.click("button:has-text('Submit for review')")
    page.wait_for_selector("#status-badge:has-text('Submitted')")
    assert len(loads) <= 4, loads


def test_report_return_answer_lock_follow_up_and_export_version_2(
        page, login, session_for, live_server, reporter, reviewer, site_patient, sender, snapshot):
    login(reporter)
    assert page.locator("#awaiting").count() == 0  # reporters get their own work, not the review queue
    report_from_the_dashboard(page, live_server)
    reaction = InjectionSiteReaction.objects.get()
    assert (reaction.status, reaction.reporter, reaction.patient) == ("submitted", reporter, site_patient)

    # The reviewer returns it with a question.
    review = session_for(reviewer)
    review.goto(f"{live_server.url}/reactions/{reaction.pk}/")
    review.click("#return-button")
    review.fill("#id_question", "What was the largest diameter?")
    review.fill("#id_password", PASSWORD)  # the return is signed: password again, the one meaning preselected
    review.click("button:has-text('Return to the site')")
    review.wait_for_selector("#status-badge:has-text('Returned')")

    # The reporter finds it on the dashboard, answers by editing, comments and resubmits.
    page.goto(f"{live_server.url}/")
    page.click(f"#work-returned a:has-text('{reaction.reaction_ref}')")
    assert "What was the largest diameter?" in page.locator("#returned-banner").inner_text()
    snapshot(page, "reaction-returned")
    page.click("#edit-button")
    page.fill("#id_diameter_mm", "45")
    page.fill("#id_reason", "Largest diameter, as asked")  # an edit after submission gives its reason
    page.click("button:has-text('Save')")
    page.wait_for_url(f"{live_server.url}/reactions/{reaction.pk}/")
    page.fill("#id_text", "45 mm, measured at the visit.")
    page.click("button:has-text('Add comment')")
    assert "45 mm, measured at the visit." in page.locator("#comments").inner_text()
    page.click("button:has-text('Submit for review')")
    page.wait_for_selector("#status-badge:has-text('Submitted')")

    # The reviewer locks it and sends version 1.
    review.goto(f"{live_server.url}/reactions/{reaction.pk}/")
    review.click("#review-button")
    review.select_option("#id_causality", "probable")
    review.fill("#id_meddra_llt_code", "10022061")
    review.fill("#id_meddra_version", "27.1")
    review.select_option("#id_meaning", "reviewed_approved")
    review.fill("#id_password", PASSWORD)
    review.click("button:has-text('Review and lock')")
    review.wait_for_selector("#status-badge:has-text('Reviewed')")
    review.click("#e2b-export-button")
    review.fill("#id_password", PASSWORD)
    with review.expect_download() as info:
        review.click("#sign-export")
    assert info.value.suggested_filename == f"GB-PVTRACK-{reaction.reaction_ref}-v1.xml"

    # New information arrives: the reporter enters a follow-up; the locked case stays as it was.
    page.goto(f"{live_server.url}/reactions/{reaction.pk}/")
    page.click("#follow-up-button")
    page.fill("#id_received_on", today().isoformat())  # after the case was first received (today)
    page.fill("#id_summary", "Resolution later than first reported.")
    page.fill("#id_resolution_date", "2025-02-25")
    page.click("button:has-text('Save')")
    page.wait_for_url(f"{live_server.url}/reactions/{reaction.pk}/")
    assert "2025-02-25" in page.locator("#follow-up-changes").inner_text()
    page.click("#follow-up-submit")
    page.wait_for_selector("#open-follow-up:has-text('Submitted')")
    reaction.refresh_from_db()
    assert (reaction.resolution_date, reaction.case_version) == (date(2025, 2, 20), 1)

    review.goto(f"{live_server.url}/reactions/{reaction.pk}/")
    review.click("#follow-up-lock")
    review.fill("#id_password", PASSWORD)  # the follow-up lock is signed too
    review.click("form.pv-form button[type=submit]")
    review.wait_for_selector("#case-version:has-text('2')")
    snapshot(review, "reaction-follow-up-locked")
    review.click("#e2b-export-button")
    review.fill("#id_password", PASSWORD)
    with review.expect_download() as info:
        review.click("#sign-export")
    assert info.value.suggested_filename == f"GB-PVTRACK-{reaction.reaction_ref}-v2.xml"
    root = etree.fromstring(Path(info.value.path()).read_bytes())
    assert e2b_xml.schema().validate(root), e2b_xml.schema().error_log
    reaction.refresh_from_db()
    assert (reaction.resolution_date, reaction.case_version, reaction.status) == (date(2025, 2, 25), 2, "reviewed")
    assert ReactionComment.objects.filter(kind="question").count() == 1
