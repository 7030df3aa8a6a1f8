"""Playwright driving Debian's Chromium against pytest-django's live server.

Playwright's own browser download is not reachable here, so the setup installs Debian's
chromium package when it is missing. Screenshots of failing tests go to test-artifacts/.
"""
import os
import shutil
import subprocess
from pathlib import Path

import pytest

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]

# Playwright's sync API runs an event loop in the test thread; Django's ORM calls made by
# the test itself are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def chromium_path():
    path = shutil.which("chromium")
    if path:
        return path
    if os.geteuid() == 0 and shutil.which("apt-get"):
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        wait_for_lock = ["-o", "DPkg::Lock::Timeout=600"]  # another install may hold the package lock
        subprocess.run(["apt-get", *wait_for_lock, "update", "-qq"], check=False, env=env)
        subprocess.run(["apt-get", *wait_for_lock, "install", "-y", "-qq", "chromium"], check=False, env=env)
        path = shutil.which("chromium")
    if not path:
        pytest.fail("Chromium is not installed and could not be installed (apt-get install chromium).")
    return path


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when == "call":
        item.browser_test_failed = report.failed


def _new_page(browser):
    """A page in a fresh context (own cookies) that records console errors (CSP violations included)."""
    context = browser.new_context(viewport={"width": 1366, "height": 900}, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(15000)
    console_errors = []
    page.on("console", lambda message: message.type == "error" and console_errors.append(
        f"{message.text} ({message.location.get('url') or page.url})"))
    page.on("pageerror", lambda error: console_errors.append(f"uncaught: {error}"))
    page.console_errors = console_errors
    return context, page


def _close_pages(request, pages, label=""):
    """Keep a screenshot of every page of a failed test; fail a passing test that logged console errors."""
    failed = getattr(request.node, "browser_test_failed", False)
    errors = []
    for index, (context, page) in enumerate(pages):
        if failed:
            ARTIFACTS.mkdir(exist_ok=True)
            suffix = f"{label}-{index}" if label else ""
            try:
                page.screenshot(path=str(ARTIFACTS / f"{request.node.name}{suffix}.png"), full_page=True)
            except Exception:  # a closed page has nothing to show
                pass
        errors += page.console_errors
        context.close()
    if errors and not failed:
        pytest.fail("The browser logged console errors:\n" + "\n".join(errors))


@pytest.fixture
def page(browser, request):
    """The test's browser tab. The test fails if the page logged console errors (clear
    `page.console_errors` after provoking an expected one, e.g. a 404)."""
    context, page = _new_page(browser)
    yield page
    _close_pages(request, [(context, page)])


def log_in(page, live_server, user, password):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    return page


@pytest.fixture
def login(page, live_server, password):
    def log_in_page(user):
        return log_in(page, live_server, user, password)

    return log_in_page


@pytest.fixture
def session_for(browser, live_server, password, request):
    """More logged-in tabs, each in its own browser context: another user, or the same user twice."""
    pages = []

    def open_session(user):
        context, page = _new_page(browser)
        pages.append((context, page))
        return log_in(page, live_server, user, password)

    yield open_session
    _close_pages(request, pages, label="-session")


@pytest.fixture
def snapshot():
    """Save a full-page screenshot of a main page into test-artifacts/pages/ for a human to look at."""
    folder = ARTIFACTS / "pages"

    def take(page, name):
        folder.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(folder / f"{name}.png"), full_page=True)

    return take
