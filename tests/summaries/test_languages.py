"""The summary tables in the reader's language, live and from the stored figures; the downloads in English."""
import csv
import io
import json

import pytest
from django.urls import reverse
from django.utils import translation

from apps.summaries import snapshots
from apps.summaries.models import FigureSnapshot

pytestmark = pytest.mark.django_db
AS_OF = "2025-06-30"  # not today: computed from the rows
ITALIAN = {"HTTP_ACCEPT_LANGUAGE": "it"}


def italian_page(client, user, **params):
    client.force_login(user)
    response = client.get(reverse("summaries:index"), params, **ITALIAN)
    assert response.status_code == 200
    return response


def assert_italian_tables(page):
    assert 'lang="it"' in page
    for text in ("Incidenza di RSI per centro", "Incidenza di RSI (IC 95%)", "Pazienti con RSI", "Lieve o moderata",
                 "Grado non indicato", "&lt; 14 giorni", "In corso alla data di riferimento", "Esposti ≥ 6 mesi",
                 "Esposizione per durata", "pazienti-anno.", "6 mesi = 183 giorni, 12 mesi = 365 giorni.",
                 "Intensità", "Eritema"):
        assert text in page, text
    for text in ("ISR incidence by site", "Patients with ISR", "Mild or moderate", "Not graded", "&lt; 14 days",
                 "Exposure by duration", "patient-years.", "(95% CI)"):
        assert text not in page, text


def test_the_tables_computed_from_the_rows_are_in_italian(client, analyst, cohort):
    response = italian_page(client, analyst, as_of=AS_OF)
    assert response.context["stored"] is None
    page = response.content.decode()
    assert_italian_tables(page)
    assert "Esposizione totale: " in page


def test_the_stored_figures_are_english_and_shown_in_italian(client, analyst, cohort):
    with translation.override("it"):  # whatever language the task runs in, the snapshot is English
        snapshots.refresh_figures()
    stored = FigureSnapshot.objects.filter(kind="summaries", site=None).first()
    tables = {table["slug"]: table for table in stored.payload["tables"]}
    assert tables["incidence-by-site"]["title"] == "ISR incidence by site"
    assert tables["duration"]["rows"][0]["label"] == "< 14 days"
    assert tables["exposure"]["notes"][0].startswith("Total exposure: ")
    assert tables["duration"]["rows"][1]["reference"].endswith(" days (typical duration)")

    response = italian_page(client, analyst)
    assert response.context["stored"] is not None
    page = response.content.decode()
    assert_italian_tables(page)
    assert "Esposizione totale: " in page
    assert "giorni (durata tipica)" in page and "(typical duration)" not in page


@pytest.mark.parametrize("stored", [False, True])
def test_the_downloads_stay_english_for_an_italian_reader(client, analyst, cohort, stored):
    params = {}
    if stored:
        snapshots.refresh_figures()
    else:
        params["as_of"] = AS_OF
    client.force_login(analyst)
    response = client.get(reverse("summaries:index"), {**params, "format": "json"}, **ITALIAN)
    assert response.status_code == 200
    tables = {table["slug"]: table for table in json.loads(response.content)["tables"]}
    assert tables["incidence-by-site"]["title"] == "ISR incidence by site"
    assert tables["incidence-by-site"]["columns"][1]["header"] == "Exposed patients"
    assert tables["severity"]["rows"][0]["label"] == "Mild"
    assert tables["exposure"]["notes"][0].startswith("Total exposure: ") and "sources" not in tables["exposure"]
    assert "Incidenza" not in response.content.decode()

    response = client.get(reverse("summaries:index"), {**params, "format": "csv"}, **ITALIAN)
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert ["severity", "Mild or moderate", "Reactions (95% CI)"] == rows[[r[:2] for r in rows].index(
        ["severity", "Mild or moderate"])][:3]
    assert "Lieve" not in response.content.decode() and "giorni" not in response.content.decode()

    response = client.get(reverse("summaries:detail", args=["duration"]), {**params, "format": "csv"}, **ITALIAN)
    content = response.content.decode()
    assert response.status_code == 200
    assert content.splitlines()[0].startswith("Duration,") and "< 14 days" in content
    assert "Durata" not in content and "giorni" not in content
