import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_the_login_page_renders_offline_with_its_own_stylesheet(page, live_server):
    requests = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(f"{live_server.url}/")
    assert "/accounts/login/" in page.url
    assert page.locator("h1").inner_text() == "Log in"
    # Bootstrap is served by the app itself: every request stays on the live server.
    assert requests and all(url.startswith(live_server.url) for url in requests)
    assert page.evaluate("getComputedStyle(document.querySelector('.btn-primary')).backgroundColor") != "rgba(0, 0, 0, 0)"


def test_a_wrong_password_shows_a_message_and_the_right_one_logs_in(page, live_server, reporter, password):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", reporter.username)
    page.fill("#id_password", "not-the-password")
    page.click("button[type=submit]")
    assert "didn't match" in page.locator(".alert-danger").inner_text()
    page.fill("#id_username", reporter.username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    assert reporter.username in page.locator("nav").inner_text()
