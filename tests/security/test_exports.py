"""Exports and downloads: a site-bound user never gets another site's rows, and no cell of a
CSV or XLSX export runs as a spreadsheet formula."""
import csv
import io
from datetime import date

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone

from apps.reports import services as report_services
from apps.summaries.selectors import SUMMARIES
from tests.factories import ExposurePeriodFactory, PatientFactory, ReactionFactory, UserFactory

pytestmark = pytest.mark.django_db

FORMULAS = ("=HYPERLINK(\"http://evil.example\",\"x\")", "+1+2", "-1+cmd|' /C calc'!A0", "@SUM(A1:A9)",
            "\t=1+1", "\r=1+1")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
LISTS = ("patients:list", "exposures:list", "reactions:list")


@pytest.fixture
def two_sites(site, other_site, product):
    """Each site has patients with an exposure and a reaction; site-02's references start with OTHER."""
    for target, prefix in ((site, "MINE"), (other_site, "OTHER")):
        for n in range(3):
            patient = PatientFactory(site=target, patient_ref=f"{prefix}-P{n}")
            ExposurePeriodFactory(patient=patient, product=product, start_date=date(2025, 1, 1),
                                  lot_number=f"{prefix}-LOT{n}")
            ReactionFactory(patient=patient, product=product, reaction_ref=f"{prefix}-R{n}",
                            onset_date=date(2025, 1, 5 + n), resolution_date=date(2025, 1, 20))
    voided = PatientFactory(site=other_site, patient_ref="OTHER-VOIDED", voided_at=timezone.now(),
                            void_reason="test")
    ExposurePeriodFactory(patient=voided, product=product, lot_number="OTHER-VOIDED-LOT")
    return other_site


def csv_cells(response):
    return [cell for row in csv.reader(io.StringIO(response.getvalue().decode("utf-8-sig"))) for cell in row]


def xlsx_cells(response):
    sheet = openpyxl.load_workbook(io.BytesIO(response.getvalue())).active
    return [cell for row in sheet.iter_rows() for cell in row]


def export_texts(client, name, params):
    """Every cell of the CSV and the XLSX export of a listing, as text."""
    csv_response = client.get(reverse(name), {**params, "_export": "csv"})
    xlsx_response = client.get(reverse(name), {**params, "_export": "xlsx"})
    assert csv_response.status_code == xlsx_response.status_code == 200
    return csv_cells(csv_response) + [str(cell.value) for cell in xlsx_cells(xlsx_response) if cell.value is not None]


@pytest.mark.parametrize("user_fixture", ["reporter", "site_reviewer", "site_analyst"])
def test_a_site_bound_users_exports_hold_only_their_sites_rows(client, request, two_sites, user_fixture):
    user = request.getfixturevalue(user_fixture)
    client.force_login(user)
    other = two_sites
    for name in LISTS:
        for params in ({}, {"site": other.pk}, {"include_voided": "on"}, {"patient_ref": "OTHER-P1"}):
            texts = export_texts(client, name, params)
            leaked = [text for text in texts if "OTHER" in text or text == other.code]
            assert not leaked, f"{name} {params}: {leaked}"
        assert any("MINE" in text for text in export_texts(client, name, {}))


def test_central_staff_exports_hold_every_sites_rows(client, two_sites, reviewer):
    """The contrast that shows the site-bound test above can fail."""
    client.force_login(reviewer)
    for name in LISTS:
        assert any("OTHER" in text for text in export_texts(client, name, {})), name


@pytest.fixture
def site_reviewer(site):
    return UserFactory(username="reviewer-01", site=site, roles=["reviewer"])


@pytest.fixture
def site_analyst(site):
    return UserFactory(username="analyst-01", site=site, roles=["analyst"])


@pytest.mark.parametrize("slug", sorted(SUMMARIES))
def test_a_site_bound_users_summary_csv_is_their_sites_summary(client, two_sites, site, reporter, reviewer, slug):
    url = reverse("summaries:detail", args=[slug])
    query = {"format": "csv", "as_of": "2025-06-30"}
    client.force_login(reviewer)
    own_site = client.get(url, {**query, "site": site.pk}).content
    all_sites = client.get(url, query).content
    client.force_login(reporter)
    for params in (query, {**query, "site": two_sites.pk}):
        response = client.get(url, params)
        assert response.status_code == 200
        assert response.content == own_site, params
    if slug == "incidence-by-site":
        assert own_site != all_sites and b"site-02" not in own_site


def test_a_site_bound_analyst_cannot_open_an_all_sites_or_another_sites_report(client, two_sites, site, product,
                                                                             site_analyst):
    reports = []
    for report_site in (None, two_sites):
        report = report_services.report_request(product=product, as_of=date(2025, 6, 30), site=report_site,
                                                queue=False)
        reports.append(report_services.report_run(report_id=report.pk))
    client.force_login(site_analyst)
    for report in reports:
        assert report.status == "done"
        for name in ("reports:detail", "reports:status", "reports:download_json", "reports:download_csv"):
            assert client.get(reverse(name, args=[report.pk])).status_code == 404, (name, report.site)
    listing = client.get(reverse("reports:list")).content.decode()
    assert not any(reverse("reports:detail", args=[report.pk]) in listing for report in reports)


@pytest.fixture
def formula_records(site, product):
    """Text fields a user typed, each one a spreadsheet formula."""
    for n, formula in enumerate(FORMULAS):
        patient = PatientFactory(site=site, patient_ref=formula)
        ExposurePeriodFactory(patient=patient, product=product, lot_number=formula, start_date=date(2025, 1, 1))
        ReactionFactory(patient=patient, product=product, reaction_ref=formula, onset_date=date(2025, 1, 2 + n))


@pytest.mark.parametrize("name", LISTS)
def test_formula_cells_are_neutralised_in_csv_and_xlsx_exports(client, reviewer, formula_records, name):
    client.force_login(reviewer)
    csv_texts = csv_cells(client.get(reverse(name), {"_export": "csv"}))
    assert not [text for text in csv_texts if text.startswith(FORMULA_STARTS)]
    assert [formula for formula in FORMULAS if "'" + formula in csv_texts] == list(FORMULAS)
    cells = xlsx_cells(client.get(reverse(name), {"_export": "xlsx"}))
    assert not [cell.coordinate for cell in cells if cell.data_type == "f"]
    texts = [cell.value for cell in cells if isinstance(cell.value, str)]
    assert not [text for text in texts if text.startswith(FORMULA_STARTS)]
    assert [formula for formula in FORMULAS if "'" + formula in texts] == list(FORMULAS)


def test_report_csv_download_has_no_formula_text(client, analyst, product, site, formula_records):
    report = report_services.report_request(product=product, as_of=date(2025, 6, 30), site=site, queue=False)
    report = report_services.report_run(report_id=report.pk)
    client.force_login(analyst)
    cells = csv_cells(client.get(reverse("reports:download_csv", args=[report.pk])))
    suspicious = [cell for cell in cells if cell.startswith(FORMULA_STARTS) and not is_number(cell)]
    assert not suspicious


def is_number(text):
    try:
        float(text)
    except ValueError:
        return False
    return True
