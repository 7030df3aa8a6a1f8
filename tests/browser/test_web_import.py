"""CSV upload in a real browser with a real Celery worker: one bad row shows its error and writes
nothing; good files show their progress and then the counts."""
import pytest

from apps.patients.models import Patient
from apps.reactions.models import InjectionSiteReaction
from tests.browser.test_reports import suite_broker  # noqa: F401
from tests.imports.helpers import EXPOSURE, REACTION, write_csv
from tests.reports.conftest import filesystem_broker, redis_broker, start_worker  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.worker,
              pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def upload(page, live_server, **paths):
    page.click("nav >> text=Import")
    page.wait_for_url(f"{live_server.url}/imports/")
    for kind, path in paths.items():
        page.set_input_files(f"#id_{kind}", str(path))
    page.click("button:has-text('Upload and import')")
    page.wait_for_url(f"{live_server.url}/imports/*/")
    page.wait_for_selector("#import-status[data-status=done], #import-status[data-status=refused]", timeout=90_000)


def test_a_bad_row_is_shown_and_nothing_written_then_good_files_show_progress_and_counts(
        page, login, live_server, reporter, site, product, suite_broker, start_worker, tmp_path, snapshot):
    start_worker(suite_broker)
    login(reporter)
    bad = write_csv(tmp_path, "patients", "P-001,site-01,female,1960", "P-002,site-01,male,1850", name="bad.csv")
    upload(page, live_server, patients=bad)
    errors = page.locator("#import-errors").inner_text()
    assert "bad.csv:3: birth_year:" in errors and "Nothing was written" in errors
    assert not Patient.objects.exists()
    snapshot(page, "import-refused")

    patients = write_csv(tmp_path, "patients", "P-001,site-01,female,1960")
    exposures = write_csv(tmp_path, "exposures", EXPOSURE)
    reactions = write_csv(tmp_path, "reactions", REACTION)
    upload(page, live_server, patients=patients, exposures=exposures, reactions=reactions)
    assert page.locator("#rows-checked").inner_text() == "3"
    assert page.locator("#rows-written").inner_text() == "3"
    assert "100%" in page.locator("#written-bar").inner_text()
    summary = page.locator("#import-summary").inner_text()
    assert "patients.csv: 1 created" in summary and "reactions.csv: 1 created" in summary
    assert InjectionSiteReaction.objects.get().reporter == reporter
    snapshot(page, "import-done")
