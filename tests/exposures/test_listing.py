"""The exposure listing at scale: no COUNT, newest start first by an index, patient search both ways."""
import csv
import io
import re
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apps.exposures import filters
from tests.factories import ExposurePeriodFactory, PatientFactory

pytestmark = pytest.mark.django_db


def starts_on_page(response):
    return re.findall(r">(\d{4}-\d{2}-\d{2})</a>", response.content.decode())


@pytest.fixture
def twenty_six(site, product):
    """26 patients with one period each, starts one day apart from 2025-01-01."""
    return [ExposurePeriodFactory(patient=PatientFactory(site=site, patient_ref=f"P-{n:02d}"), product=product,
                                  start_date=date(2025, 1, 1) + timedelta(days=n))
            for n in range(26)]


def test_a_page_costs_fewer_than_15_queries_and_never_counts_the_periods(client, reviewer, twenty_six):
    client.force_login(reviewer)
    client.get(reverse("exposures:list"))
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("exposures:list"), {"page": 2})
    assert response.status_code == 200
    assert len(queries) < 15
    assert not [q["sql"] for q in queries if "COUNT(" in q["sql"].upper()]


def test_periods_are_listed_newest_start_first_and_sort_only_by_start(client, reviewer, twenty_six):
    client.force_login(reviewer)
    first = client.get(reverse("exposures:list"))
    assert starts_on_page(first)[:2] == ["2025-01-26", "2025-01-25"] and len(starts_on_page(first)) == 25
    assert starts_on_page(client.get(reverse("exposures:list"), {"page": 2})) == ["2025-01-01"]
    assert starts_on_page(client.get(reverse("exposures:list"), {"sort": "start_date"}))[:2] == [
        "2025-01-01", "2025-01-02"]
    assert starts_on_page(client.get(reverse("exposures:list"), {"sort": "dose_mg_per_day"}))[0] == "2025-01-26"
    content = first.content.decode()
    assert "sort=start_date" in content and "sort=patient" not in content


def test_the_export_writes_dates_in_iso_format(client, reviewer, twenty_six):
    client.force_login(reviewer)
    rows = list(csv.reader(io.StringIO(client.get(reverse("exposures:list"), {"_export": "csv"}).getvalue().decode())))
    start = rows[0].index("Start date")
    assert [row[start] for row in rows[1:3]] == ["2025-01-26", "2025-01-25"]
    assert rows[1][rows[0].index("End date")] == ""  # ongoing: an empty cell, as before


@pytest.mark.parametrize("probe", [200, 1], ids=["few patients: ids first", "many patients: row by row"])
def test_the_patient_search_finds_references_containing_the_text(client, reviewer, twenty_six, monkeypatch, probe):
    monkeypatch.setattr(filters, "SEARCH_PROBE_PATIENTS", probe)
    client.force_login(reviewer)

    def starts(text):
        return starts_on_page(client.get(reverse("exposures:list"), {"patient": text}))

    assert starts("p-0") == [f"2025-01-{n:02d}" for n in range(10, 0, -1)]
    assert starts("P-25") == ["2025-01-26"]
    assert starts("none") == []
