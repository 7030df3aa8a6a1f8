"""The whole life of a case in a real browser: intake by a site reporter, review and lock by a
reviewer, the listing export, the E2B(R3) export and the printable case form.

Each step goes through the pages a user clicks (no URL typed where a link exists), and
every page must render without a console error (a CSP violation is one).
"""
import csv
import io
from pathlib import Path

import pytest
from lxml import etree

from apps.e2b import xml as e2b_xml
from apps.e2b.models import E2bExport
from apps.exposures.models import ExposurePeriod
from apps.patients.models import Patient
from apps.reactions.models import InjectionSiteReaction
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

LLT_CODE = "10022061"  # injection site erythema
MEDDRA_VERSION = "27.1"


def field_error(page, name):
    return page.locator(f'[data-error-for="{name}"]')


def enter_patient(page, live_server, snapshot):
    page.click("nav >> text=Patients")
    page.wait_for_url(f"{live_server.url}/patients/")
    snapshot(page, "patients-list-empty")
    page.click("a.btn:has-text('New')")
    # The site of a site-bound reporter is the only choice, preselected.
    assert page.locator("#id_site option").count() == 1
    page.fill("#id_patient_ref", "P-100")
    page.select_option("#id_sex", "female")
    page.fill("#id_birth_year", "1961")
    snapshot(page, "patient-form")
    page.click("button:has-text('Save')")
    page.wait_for_url(f"{live_server.url}/patients/*/")
    assert "Patient P-100" in page.locator("h1").inner_text()


def enter_exposure(page, live_server, snapshot):
    page.click("a:has-text('Add exposure')")
    # The only product is preselected.
    assert "anakinra" in page.locator("#id_product option:checked").inner_text().lower()
    page.fill("#id_start_date", "2025-01-06")
    page.fill("#id_dose_mg_per_day", "100")
    page.fill("#id_lot_number", "LOT-A1")
    snapshot(page, "exposure-form")
    page.click("button:has-text('Save')")
    page.wait_for_url(f"{live_server.url}/patients/*/")
    row = page.locator("#exposures tbody tr").first
    assert "2025-01-06" in row.inner_text() and "LOT-A1" in row.inner_text()


def enter_reaction_with_a_mistake_then_fix_it(page, live_server, snapshot):
    page.click("a:has-text('Add reaction')")
    assert page.input_value("#id_reaction_ref") == "site-01-P-100-R1"
    page.fill("#id_onset_date", "2025-02-03")
    page.select_option("#id_severity", "moderate")
    page.check("input[name=symptoms][value=erythema]")
    page.check("input[name=symptoms][value=swelling]")
    page.select_option("#id_outcome", "recovered")  # ... but no resolution date: refused
    page.select_option("#id_injection_site", "abdomen_left")
    page.fill("#id_diameter_mm", "40")
    page.select_option("#id_action_taken", "unchanged")
    page.select_option("#id_reporter_qualification", "physician")
    page.fill("#id_narrative", "Red, swollen patch at the injection site two days after the dose.")
    page.click("button:has-text('Save')")

    error = field_error(page, "resolution_date")
    assert error.inner_text() == "A recovered reaction needs a resolution date."
    assert "Please correct the fields marked in red" in page.locator(".alert-danger").inner_text()
    assert not InjectionSiteReaction.objects.exists()
    # What the user typed is kept.
    assert page.input_value("#id_onset_date") == "2025-02-03"
    assert page.is_checked("input[name=symptoms][value=swelling]")
    snapshot(page, "reaction-form-with-error")

    page.fill("#id_resolution_date", "2025-02-20")
    page.click("button:has-text('Save')")
    page.wait_for_url(f"{live_server.url}/reactions/*/")
    assert "Reaction site-01-P-100-R1 saved as a draft." in page.locator(".alert-success").inner_text()
    assert page.locator("#duration").inner_text() == "18 days"
    snapshot(page, "reaction-detail-draft")

    page.click("button:has-text('Submit for review')")
    assert "submitted for review" in page.locator(".alert-success").inner_text()
    assert page.locator("#status-badge").inner_text() == "Submitted"
    # A reporter can no longer edit a submitted reaction.
    assert page.locator("#edit-button").count() == 0


def configure_e2b_in_the_admin(page, live_server):
    """The administrator sets up the sender organisation and the ISR MedDRA term list."""
    page.goto(f"{live_server.url}/admin/e2b/senderorganisation/add/")
    page.fill("#id_sender_identifier", "PVTRACK")
    page.fill("#id_receiver_identifier", "EVHUMAN")
    page.fill("#id_organisation_name", "PV Tracker Sponsor Ltd")
    page.fill("#id_country", "GB")
    page.fill("#id_meddra_version", MEDDRA_VERSION)
    page.fill("#id_study_name", "Anakinra ISR registry")
    page.click("input[name=_save]")
    assert "was added successfully" in page.locator(".messagelist").inner_text()

    page.goto(f"{live_server.url}/admin/e2b/isrterm/add/")
    page.fill("#id_llt_code", LLT_CODE)
    page.fill("#id_llt_name", "Injection site erythema")
    page.fill("#id_meddra_version", MEDDRA_VERSION)
    page.click("input[name=_save]")
    assert "was added successfully" in page.locator(".messagelist").inner_text()


def review_and_lock(page, live_server, snapshot):
    page.click("nav >> text=Reactions")
    page.wait_for_url(f"{live_server.url}/reactions/")
    snapshot(page, "reactions-list")
    page.click("a:has-text('site-01-P-100-R1')")
    page.click("#review-button")
    # Causality is required before locking.
    page.click("button:has-text('Review and lock')")
    assert field_error(page, "causality").is_visible()
    page.select_option("#id_causality", "probable")
    page.fill("#id_meddra_llt_code", LLT_CODE)
    page.fill("#id_meddra_version", MEDDRA_VERSION)
    page.select_option("#id_meaning", "reviewed_approved")
    page.fill("#id_password", PASSWORD)
    snapshot(page, "reaction-review-form")
    page.click("button:has-text('Review and lock')")
    page.wait_for_url(f"{live_server.url}/reactions/*/")
    assert "reviewed and locked" in page.locator(".alert-success").inner_text()
    assert page.locator("#status-badge").inner_text() == "Reviewed (locked)"
    assert page.locator("#edit-button").count() == 0
    snapshot(page, "reaction-detail-locked")


def export_the_listing(page, live_server):
    page.click("nav >> text=Reactions")
    page.select_option("#id_severity", "moderate")
    page.click("button:has-text('Filter')")
    page.wait_for_url("**/reactions/?*severity=moderate*")
    with page.expect_download() as info:
        page.click("a:has-text('Export CSV')")
    download = info.value
    assert download.suggested_filename.startswith("reactions-") and download.suggested_filename.endswith(".csv")
    rows = list(csv.reader(io.StringIO(Path(download.path()).read_text(encoding="utf-8-sig"))))
    header, body = rows[0], rows[1:]
    assert len(body) == 1
    record = dict(zip(header, body[0]))
    assert body[0][0] == "site-01-P-100-R1"
    assert "2025-02-03" in record.values() and "P-100" in record.values()


def export_e2b_and_print_the_case_form(page, live_server, snapshot):
    reaction = InjectionSiteReaction.objects.get(reaction_ref="site-01-P-100-R1")
    page.click("a:has-text('site-01-P-100-R1')")  # from the reactions list
    page.wait_for_url(f"{live_server.url}/reactions/{reaction.pk}/")
    page.click("#e2b-export-button")
    page.fill("#id_password", PASSWORD)  # the export is signed: password again, the one meaning preselected
    with page.expect_download() as info:
        page.click("#sign-export")
    download = info.value
    assert download.suggested_filename == "GB-PVTRACK-site-01-P-100-R1-v1.xml"
    root = etree.fromstring(Path(download.path()).read_bytes())
    assert e2b_xml.schema().validate(root), e2b_xml.schema().error_log
    text = etree.tostring(root, encoding="unicode")
    assert LLT_CODE in text and "GB-PVTRACK-site-01-P-100-R1" in text
    assert E2bExport.objects.get().reaction_id == reaction.pk

    page.goto(f"{live_server.url}/reactions/{reaction.pk}/")  # the signed download leaves the signing page open
    page.click("a:has-text('E2B exports')")
    assert "GB-PVTRACK-site-01-P-100-R1" in page.locator("table").inner_text()
    snapshot(page, "e2b-exports")
    page.click("a:has-text('Case form') >> nth=0")
    page.wait_for_url(f"{live_server.url}/e2b/reactions/{reaction.pk}/case-form/")
    body = page.locator("body").inner_text()
    assert "site-01-P-100-R1" in body and "MedDRA LLT 10022061 Injection site erythema" in body
    assert "PV Tracker Sponsor Ltd" in body and "version 1" in body
    snapshot(page, "case-form")


def test_a_case_goes_from_intake_to_review_listing_e2b_export_and_case_form(
        page, session_for, login, live_server, reporter, reviewer, admin_user, product, snapshot):
    login(reporter)
    snapshot(page, "dashboard-reporter")
    enter_patient(page, live_server, snapshot)
    enter_exposure(page, live_server, snapshot)
    snapshot(page, "patient-detail")
    enter_reaction_with_a_mistake_then_fix_it(page, live_server, snapshot)

    patient = Patient.objects.get(patient_ref="P-100")
    assert patient.site == reporter.site
    assert ExposurePeriod.objects.get(patient=patient).lot_number == "LOT-A1"
    reaction = InjectionSiteReaction.objects.get()
    assert reaction.status == "submitted" and reaction.reporter == reporter
    assert reaction.symptoms == ["erythema", "swelling"]

    configure_e2b_in_the_admin(session_for(admin_user), live_server)

    review_page = session_for(reviewer)
    snapshot(review_page, "dashboard-reviewer")
    review_and_lock(review_page, live_server, snapshot)
    reaction.refresh_from_db()
    assert reaction.status == "reviewed" and reaction.causality == "probable"
    assert reaction.reviewed_by == reviewer and reaction.meddra_llt_code == LLT_CODE

    export_the_listing(review_page, live_server)
    export_e2b_and_print_the_case_form(review_page, live_server, snapshot)
