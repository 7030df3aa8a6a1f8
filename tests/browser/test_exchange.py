"""The exchange pages in Chromium: the API docs render from packaged assets under the CSP, the E2B
inbox receives a batch and the clock queue shows it. Any CSP violation fails the test (console)."""
import pytest

from tests.e2b.test_inbox import FDA_EXAMPLE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_the_api_docs_render_their_operations_without_a_console_error(page, login, live_server, reviewer, snapshot):
    login(reviewer)
    page.goto(f"{live_server.url}/api/docs/")
    page.wait_for_selector("text=/api/v1/reactions/{id}/submit/")
    assert page.locator(".opblock").count() >= 15
    snapshot(page, "api-docs")


def test_a_reviewer_receives_a_batch_and_triages_from_the_queue(page, login, live_server, reviewer, snapshot):
    login(reviewer)
    page.click("nav a.nav-link:text-is('E2B inbox')")
    page.set_input_files("#id_file", str(FDA_EXAMPLE))
    page.click("button:has-text('Receive batch')")
    page.wait_for_selector("#triage-queue >> text=US-APHARMA-8744554B")
    page.click("#triage-queue >> text=US-APHARMA-8744554B")
    assert "10027940" in page.inner_text("body") and "Drug C" in page.inner_text("body")
    snapshot(page, "e2b-incoming-case")
    page.click("text=Dismiss with a reason")
    page.fill("#id_reason", "Not an injection-site reaction")
    page.click("button:has-text('Dismiss')")
    page.wait_for_url(f"{live_server.url}/e2b/inbox/")
    assert "No ICSR waits for triage." in page.inner_text("#triage-queue")
    page.click("nav a.nav-link:text-is('Clocks')")
    assert page.locator("h1").inner_text().startswith("Regulatory clocks")
