"""An analyst runs an aggregate report from the browser; a real Celery worker computes it
while the page refreshes itself, then the analyst opens it and downloads its CSV."""
import csv
import io
from datetime import date
from pathlib import Path

import pytest
from django.conf import settings

from apps.reports.models import AggregateReport
from tests.factories import ExposurePeriodFactory, PatientFactory, ReactionFactory
# The worker fixtures of the reports tests: a private broker and a real `celery worker` process.
from tests.reports.conftest import filesystem_broker, redis_broker, start_worker  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.worker,
              pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def suite_broker(request):
    """The broker kind the suite runs with: Redis on the PostgreSQL+Redis pass, else the filesystem."""
    name = "redis_broker" if settings.CELERY_BROKER_URL.startswith(("redis://", "rediss://")) else "filesystem_broker"
    return request.getfixturevalue(name)


@pytest.fixture
def cohort(site, other_site, product):
    """Four exposed patients, two of them with an ISR (one ongoing)."""
    patients = [PatientFactory(site=site if n % 2 else other_site, patient_ref=f"RP-{n}") for n in range(4)]
    for patient in patients:
        ExposurePeriodFactory(patient=patient, product=product, start_date=date(2025, 1, 1))
    ReactionFactory(patient=patients[0], product=product, onset_date=date(2025, 1, 10),
                    resolution_date=date(2025, 1, 30), severity="mild", outcome="recovered")
    ReactionFactory(patient=patients[1], product=product, onset_date=date(2025, 2, 1), resolution_date=None,
                    severity="moderate", outcome="recovering")
    return patients


def test_an_analyst_runs_a_report_that_a_worker_computes_then_opens_and_downloads_it(
        page, login, live_server, analyst, cohort, suite_broker, start_worker, snapshot):
    start_worker(suite_broker)
    login(analyst)
    page.click("nav >> text=Reports")
    page.wait_for_url(f"{live_server.url}/reports/")
    page.click("a:has-text('Run now')")
    # The as-of date is left as the form fills it (today): the date input must accept it as it is.
    assert page.input_value("#id_as_of") == date.today().isoformat()
    snapshot(page, "report-run-form")
    page.click("button:has-text('Run now')")
    page.wait_for_url(f"{live_server.url}/reports/*/")
    report = AggregateReport.objects.get()
    assert report.requested_by == analyst

    # The page reloads itself until the worker has finished.
    page.wait_for_selector("#report-status[data-status=done]", timeout=90_000)
    report.refresh_from_db()
    assert report.status == "done"
    assert report.results["exposed_patients"] == 4 and report.results["patients_with_isr"] == 2
    measures = page.locator("#measures tbody tr")
    assert measures.count() >= 3
    incidence = page.locator('#measures tr[data-measure="isr_incidence"]').inner_text()
    assert "50.0%" in incidence
    for chart in ("incidence", "duration", "severity", "time-to-first"):
        assert page.locator(f"#chart-{chart} svg").count() == 1, chart
    snapshot(page, "report-detail")

    with page.expect_download() as info:
        page.click("a:has-text('Download CSV')")
    download = info.value
    assert download.suggested_filename == f"isr-report-{report.pk}-anakinra-all-sites-{report.as_of:%Y-%m-%d}.csv"
    text = Path(download.path()).read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert len(rows) > 1 and any("isr_incidence" in cell for row in rows for cell in row)

    page.click("nav >> text=Reports")
    assert page.locator(f'a:has-text("#{report.pk}")').is_visible()
    assert page.locator("[data-status=done]").count() == 1
    snapshot(page, "reports-list")
