"""A report page in the reader's language; the stored report and its downloads in English."""
import csv
import io
import json

import pytest
from django.urls import reverse
from django.utils import translation

from tests.reports.cohort import build_cohort
from tests.reports.test_views import done_report

pytestmark = pytest.mark.django_db
ITALIAN = {"HTTP_ACCEPT_LANGUAGE": "it"}


@pytest.fixture
def report(site, other_site, product):
    build_cohort(site, other_site)
    with translation.override("it"):  # the worker's language does not leak into the stored report
        return done_report(product)


def test_the_stored_report_is_english(report):
    definitions = dict(report.details["definitions"])
    assert definitions["This report"].startswith("W = 30 days (the product's risk window); ")
    assert definitions["Exposed patients"].endswith("at least 183 and 365 cumulative exposure days.")
    assert report.details["verdicts"]["isr_incidence"] == "consistent"
    assert report.details["profile_comparisons"][0]["rows"][0]["measure"] == "ISR incidence"


def test_the_detail_page_is_in_italian(client, reviewer, report):
    client.force_login(reviewer)
    page = client.get(reverse("reports:detail", args=[report.pk]), **ITALIAN).content.decode()
    assert 'lang="it"' in page
    for text in ("Incidenza di RSI, grezza (pazienti con ≥ 1 RSI attribuibile)", "EAIR per 100 pazienti-anno",
                 "Questo report", "W = 30 giorni (la finestra di rischio del prodotto)", "Data di riferimento D",
                 "Reazioni attribuibili", "Quota lieve/moderata", "Incidenza cumulativa di RSI per mese",
                 "Giorni dall&#x27;insorgenza", "Riferimento 14–28 giorni", "Riferimento 64.4%",
                 "Intensità delle reazioni contate", "Lieve", "Stima di Kaplan–Meier", "Monitoraggio sequenziale",
                 "Osservato rispetto a ogni profilo corrente", "Osservato (IC 95%)",
                 "Pazienti-anno a rischio (fino alla prima RSI)", "finestra di rischio W = 30 giorni",
                 "I giudizi usano i valori", "<strong>nominali</strong>", "Tutti i centri", "stato <span"):
        assert text in page, text
    assert page.count(">coerente<") == 3
    for text in ("ISR incidence, crude", "This report", "Exposure is clipped to D", "Cumulative ISR incidence by month",
                 "Days since onset", "Reference 14–28 days", ">consistent<", "Kaplan–Meier estimate",
                 "Sequential monitoring", "Observed (95% CI)", "risk window W", "Verdicts use the",
                 "All sites"):
        assert text not in page, text


def test_the_downloads_stay_english_for_an_italian_reader(client, analyst, report):
    client.force_login(analyst)
    response = client.get(reverse("reports:download_json", args=[report.pk]), **ITALIAN)
    data = json.loads(response.content)
    assert data["verdicts"]["isr_incidence"] == "consistent"
    rows = data["profile_comparisons"][0]["rows"]
    assert rows[0]["measure"] == "ISR incidence" and rows[0]["basis"].startswith(("horizon", "crude"))
    assert "Incidenza" not in response.content.decode() and "coerente" not in response.content.decode()

    response = client.get(reverse("reports:download_csv", args=[report.pk]), **ITALIAN)
    content = response.content.decode()
    rows = list(csv.reader(io.StringIO(content)))
    assert ["verdict", "isr_incidence", "consistent"] == rows[[r[:2] for r in rows].index(
        ["verdict", "isr_incidence"])][:3]
    assert any(row[1].startswith("ISR incidence (") for row in rows)
    assert "Incidenza" not in content and "coerente" not in content
