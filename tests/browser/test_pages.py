"""Every page of the navigation renders in Chromium without a console error (the Content
Security Policy blocks any inline script or foreign resource, and says so in the console)."""
from datetime import date

import pytest

from tests.factories import ExposurePeriodFactory, PatientFactory, ReactionFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

NAV_PAGES = {"Dashboard": "/", "Patients": "/patients/", "Exposures": "/exposures/", "Reactions": "/reactions/",
             "Summaries": "/summaries/", "Reports": "/reports/"}


@pytest.fixture
def data(site, other_site, product):
    for n, where in enumerate((site, site, other_site)):
        patient = PatientFactory(site=where, patient_ref=f"NAV-{n}")
        ExposurePeriodFactory(patient=patient, product=product, start_date=date(2025, 1, 1))
        ReactionFactory(patient=patient, product=product, onset_date=date(2025, 3, 1 + n), severity="mild")


def test_every_navigation_page_renders_without_console_errors(page, login, live_server, reviewer, data, snapshot):
    login(reviewer)
    for label, path in NAV_PAGES.items():
        page.click(f"nav a.nav-link:text-is('{label}')")
        page.wait_for_url(f"{live_server.url}{path}")
        assert page.locator("h1").count() >= 1, label
        snapshot(page, f"nav-{label.lower()}")
    # The summary tables of the filtered scope, and the E2B batch page.
    page.goto(f"{live_server.url}/summaries/")
    page.select_option("#id_site", label="site-01")
    page.click("button:has-text('Show')")
    page.wait_for_url("**/summaries/?*")
    assert "2 / 2" in page.locator("table").first.inner_text()
    page.goto(f"{live_server.url}/e2b/")
    snapshot(page, "e2b-batch-export")
    assert page.console_errors == []


def test_a_reporter_sees_only_the_data_entry_navigation(page, login, live_server, reporter, data):
    login(reporter)
    links = page.locator("nav a.nav-link").all_inner_texts()
    assert "Reports" not in links and {"Patients", "Exposures", "Reactions"} <= set(links)
    page.click("nav a.nav-link:text-is('Reactions')")
    rows = page.locator("table tbody tr").all_inner_texts()
    assert len(rows) == 2 and all("site-01" in row for row in rows)
