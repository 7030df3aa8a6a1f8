"""The daily walk in Italian: every page it visits must have no English left (a test of the catalogue
and of the templates: a string not marked for translation shows up here)."""
import re
from datetime import date

import pytest

from apps.reactions.models import InjectionSiteReaction
from tests.factories import ExposurePeriodFactory, PatientFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

# Words of running English text that no Italian page should show (words that are Italian too, like
# "no", "case", "moderate" or "severe", are left out); data (references, codes, names) is left out of
# the check by the patterns below.
ENGLISH_WORDS = {
    "the", "and", "of", "to", "is", "with", "for", "by", "on", "from", "this", "that", "not", "yes", "or",
    "your", "you", "are", "be", "can", "has", "have", "add", "save", "cancel", "edit", "submit", "review",
    "report", "reports", "reaction", "reactions", "patient", "patients", "site", "sites", "onset", "severity",
    "outcome", "status", "draft", "submitted", "returned", "locked", "history", "comment", "comments", "question",
    "export", "filter", "reset", "new", "dashboard", "exposures", "summaries", "import", "log", "out", "language",
    "change", "mild", "erythema", "pain", "swelling", "days", "day", "version", "none",
    "any", "when", "who", "reason", "changes", "field", "created", "updated", "reference", "form",
}
DATA = re.compile(r"site-\d+\S*|P-\d+\S*|R-\S+|\d{4}-\d{2}-\d{2}( \d{2}:\d{2})?|reporter-\d+|reviewer|anakinra|Kineret|"
                  r"pv-tracker|English|Italiano|MedDRA|CTCAE|ICH|E2A|E2B\S*|WHO-UMC|XML|CSV|XLSX|LLT|RSI|Kaplan–Meier")


def english_left(page):
    # Data in English (a reference profile's citation) is marked lang="en" and left out.
    text = page.evaluate("""() => { const body = document.body.cloneNode(true);
        body.querySelectorAll('[lang=en]').forEach(el => el.remove());
        document.documentElement.appendChild(body); const text = body.innerText; body.remove(); return text; }""")
    text = DATA.sub(" ", text)
    words = {w.lower() for w in re.findall(r"[A-Za-z]+", text)}
    return sorted(words & ENGLISH_WORDS)


def check(page, where, seen):
    left = english_left(page)
    assert not left, f"English on {where} ({page.url}): {left}"
    seen.append(where)


def test_the_daily_walk_in_italian_has_no_english_left(page, login, session_for, live_server, reporter, reviewer,
                                                       site, product):
    patient = PatientFactory(site=site, patient_ref="P-300")
    ExposurePeriodFactory(patient=patient, product=product, start_date=date(2025, 1, 6))
    seen = []
    login(reporter)
    page.select_option("#language-select", "it")
    page.click("#language-switcher button")
    page.wait_for_selector("html[lang=it]")
    check(page, "cruscotto", seen)
    page.click("#report-reaction")
    check(page, "segnala", seen)
    page.fill("#id_patient_ref", "P-300")
    page.click("#patient-picker button")
    page.wait_for_url(f"{live_server.url}/reactions/new/*/")
    check(page, "modulo", seen)
    page.fill("#id_onset_date", "2025-02-03")
    page.select_option("#id_severity", "mild")
    page.select_option("#id_ctcae_grade", "3")  # refused: the message must be Italian too
    page.check("input[name=symptoms][value=erythema]")
    page.select_option("#id_outcome", "not_recovered")
    page.click("form.pv-form button[type=submit]")
    assert page.locator('[data-error-for="ctcae_grade"]').is_visible()
    check(page, "modulo con errore", seen)
    page.select_option("#id_ctcae_grade", "1")
    page.click("form.pv-form button[type=submit]")
    page.wait_for_url(f"{live_server.url}/reactions/*/")
    check(page, "scheda", seen)
    reaction = InjectionSiteReaction.objects.get()
    page.click(f"form[action='/reactions/{reaction.pk}/submit/'] button")
    page.wait_for_selector("#status-badge:has-text('Inviata')")
    check(page, "scheda inviata", seen)
    page.goto(f"{live_server.url}/reactions/")
    check(page, "elenco", seen)
    page.goto(f"{live_server.url}/reactions/{reaction.pk}/history/")
    check(page, "cronologia", seen)

    review = session_for(reviewer)
    review.select_option("#language-select", "it")
    review.click("#language-switcher button")
    review.wait_for_selector("html[lang=it]")
    check(review, "cruscotto revisore", seen)
    review.goto(f"{live_server.url}/reactions/{reaction.pk}/")
    check(review, "scheda revisore", seen)
    review.click("#return-button")
    check(review, "restituzione", seen)
    review.fill("#id_question", "Qual era il diametro massimo?")
    review.click("form.pv-form button[type=submit]")
    review.wait_for_selector("#status-badge:has-text('Restituita')")
    check(review, "scheda restituita", seen)
    assert len(seen) == 12


def switch_to_italian(page):
    page.select_option("#language-select", "it")
    page.click("#language-switcher button")
    page.wait_for_selector("html[lang=it]")


def test_the_other_daily_pages_in_italian_have_no_english_left(page, login, session_for, live_server, reporter,
                                                               reviewer, analyst, site, product, sender):
    patient = PatientFactory(site=site, patient_ref="P-301")
    ExposurePeriodFactory(patient=patient, product=product, start_date=date(2025, 1, 6))
    seen = []
    login(reporter)
    switch_to_italian(page)
    for path, where in ((f"/patients/{patient.pk}/", "paziente"), ("/patients/", "pazienti"),
                        ("/exposures/", "esposizioni"), ("/imports/", "importazione")):
        page.goto(f"{live_server.url}{path}")
        check(page, where, seen)
    page.click("#import-form button[type=submit]")  # no file chosen: the message is Italian too
    check(page, "importazione senza file", seen)
    page.console_errors.clear()  # the refused form answers 400, which the browser logs

    review = session_for(reviewer)
    switch_to_italian(review)
    review.goto(f"{live_server.url}/e2b/")
    check(review, "lotto E2B", seen)

    reports = session_for(analyst)
    switch_to_italian(reports)
    reports.goto(f"{live_server.url}/reports/")
    check(reports, "rapporti", seen)
    reports.goto(f"{live_server.url}/reports/new/")
    check(reports, "esegui rapporto", seen)
    assert len(seen) == 8
