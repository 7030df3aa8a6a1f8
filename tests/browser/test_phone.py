"""Phone-sized screens (390 × 844): no page wider than the screen, a collapsing navbar, and
controls big enough for a finger on the reaction form."""
from datetime import date

import pytest

from tests.factories import ExposurePeriodFactory, PatientFactory, ReactionFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PHONE = {"width": 390, "height": 844}
MIN_TOUCH_PX = 40


@pytest.fixture
def data(site, product):
    patient = PatientFactory(site=site, patient_ref="P-PHONE-000000001")
    ExposurePeriodFactory(patient=patient, product=product, start_date=date(2025, 1, 1))
    for day in range(1, 4):
        ReactionFactory(patient=patient, product=product, reaction_ref=f"site-01-P-PHONE-000000001-R{day}",
                        onset_date=date(2025, 2, day), ctcae_grade=1, seriousness=["other_medically_important"])
    return patient


def overflow(page):
    return page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")


def test_pages_fit_a_phone_and_the_navbar_collapses(page, login, live_server, reporter, data):
    page.set_viewport_size(PHONE)
    login(reporter)
    assert not page.locator("#main-nav >> text=Reactions").is_visible()
    page.click(".navbar-toggler")
    page.locator("#main-nav >> text=Reactions").wait_for(state="visible")
    for path in ("/", "/reactions/", "/patients/", "/exposures/", f"/reactions/new/{data.pk}/",
                 f"/patients/{data.pk}/", "/reactions/report/", "/imports/"):
        page.goto(f"{live_server.url}{path}")
        assert overflow(page) <= 0, f"{path} is {overflow(page)} px wider than the screen"
    # The list's table scrolls inside its own box.
    page.goto(f"{live_server.url}/reactions/")
    box = page.locator(".table-responsive").first
    assert box.evaluate("el => el.scrollWidth > el.clientWidth")


def test_the_reaction_form_has_finger_sized_controls_and_saves(page, login, live_server, reporter, data):
    page.set_viewport_size(PHONE)
    login(reporter)
    page.goto(f"{live_server.url}/reactions/new/{data.pk}/")
    small = page.evaluate(f"""() => {{
        const bad = [];
        const selector = 'form.pv-form input:not([type=hidden]), form.pv-form select, form.pv-form textarea, '
                         + 'form.pv-form button, .navbar-toggler';
        for (const el of document.querySelectorAll(selector)) {{
            const target = el.type === 'checkbox' ? el.closest('.form-check') : el;
            const rect = target.getBoundingClientRect();
            if (rect.height < {MIN_TOUCH_PX}) bad.push(`${{el.name || el.className}}: ${{rect.height}}`);
        }}
        return bad;
    }}""")
    assert not small, small
    page.fill("#id_onset_date", "2025-03-01")
    page.select_option("#id_severity", "mild")
    page.locator("label[for=id_symptoms_0]").click()
    page.select_option("#id_outcome", "not_recovered")
    page.click("button:has-text('Save')")
    page.wait_for_url(f"{live_server.url}/reactions/*/")
    assert overflow(page) <= 0
