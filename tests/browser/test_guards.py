"""What protects the data, seen from the browser: site scoping, the duplicate check and the
edit conflict between two people saving the same reaction."""
from datetime import date

import pytest

from apps.reactions.models import InjectionSiteReaction
from tests.factories import ReactionFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_a_reporter_of_another_site_gets_404_on_the_first_sites_patient(page, login, live_server, other_reporter,
                                                                          patient, snapshot):
    login(other_reporter)
    for url in (f"/patients/{patient.pk}/", f"/patients/{patient.pk}/edit/", f"/reactions/new/{patient.pk}/"):
        response = page.goto(f"{live_server.url}{url}")
        assert response.status == 404, url
        assert "P-001" not in page.content()
        assert "not in your scope" in page.locator(".alert").inner_text()
    snapshot(page, "not-found")
    # The browser logs each 404 document as a console error: expected here.
    assert all("404" in error for error in page.console_errors)
    page.console_errors.clear()
    # Nor is the patient in the reporter's own list (the 404 page keeps the navigation).
    page.click("nav >> text=Patients")
    assert "P-001" not in page.locator("table").inner_text()


def fill_reaction(page, *, onset):
    page.fill("#id_onset_date", onset)
    page.fill("#id_resolution_date", "2025-03-20")
    page.select_option("#id_severity", "mild")
    page.check("input[name=symptoms][value=pain]")
    page.select_option("#id_outcome", "recovered")
    page.select_option("#id_action_taken", "unchanged")
    page.select_option("#id_reporter_qualification", "physician")


def test_a_probable_duplicate_is_saved_only_after_the_reporter_confirms(page, login, live_server, reporter,
                                                                         exposure, product, snapshot):
    ReactionFactory(patient=exposure.patient, product=product, reaction_ref="R-FIRST", onset_date=date(2025, 3, 1))
    login(reporter)
    page.goto(f"{live_server.url}/patients/{exposure.patient.pk}/")
    page.click("a:has-text('Add reaction')")
    page.fill("#id_reaction_ref", "R-SECOND")
    fill_reaction(page, onset="2025-03-01")
    page.click("button:has-text('Save')")

    warning = page.locator("#duplicate-check")
    assert "same onset date already exists" in warning.inner_text()
    assert "Probable duplicate of R-FIRST" in page.locator('[data-error-for="onset_date"]').inner_text()
    assert not InjectionSiteReaction.objects.filter(reaction_ref="R-SECOND").exists()
    snapshot(page, "reaction-form-duplicate")

    page.check("#id_confirm_duplicate")
    page.click("button:has-text('Save')")
    page.wait_for_url(f"{live_server.url}/reactions/*/")
    assert page.locator(".badge", has_text="Duplicate check confirmed").is_visible()
    second = InjectionSiteReaction.objects.get(reaction_ref="R-SECOND")
    assert second.duplicate_confirmed and second.onset_date == date(2025, 3, 1)


def test_a_different_onset_date_needs_no_confirmation(page, login, live_server, reporter, exposure, product):
    ReactionFactory(patient=exposure.patient, product=product, reaction_ref="R-FIRST", onset_date=date(2025, 3, 1))
    login(reporter)
    page.goto(f"{live_server.url}/reactions/new/{exposure.patient.pk}/")
    page.fill("#id_reaction_ref", "R-OTHER-DAY")
    fill_reaction(page, onset="2025-03-02")
    page.click("button:has-text('Save')")
    page.wait_for_url(f"{live_server.url}/reactions/*/")
    assert page.locator("#duplicate-check").count() == 0
    assert not InjectionSiteReaction.objects.get(reaction_ref="R-OTHER-DAY").duplicate_confirmed


def test_the_second_of_two_concurrent_edits_gets_the_conflict_and_overwrites_nothing(
        session_for, live_server, reporter, exposure, product, snapshot):
    draft = ReactionFactory(patient=exposure.patient, product=product, reaction_ref="R-EDIT", status="draft",
                            reporter=reporter, severity="mild", narrative="as first entered")
    edit_url = f"{live_server.url}/reactions/{draft.pk}/edit/"
    first, second = session_for(reporter), session_for(reporter)
    first.goto(edit_url)
    second.goto(edit_url)

    first.select_option("#id_severity", "moderate")
    first.click("button:has-text('Save')")
    first.wait_for_url(f"{live_server.url}/reactions/{draft.pk}/")
    assert "updated" in first.locator(".alert-success").inner_text()

    second.fill("#id_narrative", "a different story")
    second.click("button:has-text('Save')")
    message = second.locator(".alert-danger").inner_text()
    assert "Someone else saved this reaction after you opened it (your version 1, now 2)" in message
    # The second editor keeps what they typed, to redo it on the fresh version.
    assert second.input_value("#id_narrative") == "a different story"
    snapshot(second, "reaction-form-conflict")

    draft.refresh_from_db()
    assert (draft.severity, draft.narrative, draft.version) == ("moderate", "as first entered", 2)
    assert draft.history.count() == 2  # created + the first edit; the refused one left no trace

    # Reloading the form shows the saved version; the second editor can now save.
    second.goto(edit_url)
    assert second.input_value("#id_severity") == "moderate"
    second.fill("#id_narrative", "a different story")
    second.click("button:has-text('Save')")
    second.wait_for_url(f"{live_server.url}/reactions/{draft.pk}/")
    draft.refresh_from_db()
    assert (draft.severity, draft.narrative, draft.version) == ("moderate", "a different story", 3)
