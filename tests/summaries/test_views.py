import csv
import io
from datetime import date

import pytest
from django.urls import reverse

from apps.summaries.selectors import SUMMARIES
from tests.factories import ExposurePeriodFactory, PatientFactory, ReactionFactory

pytestmark = pytest.mark.django_db
SLUGS = list(SUMMARIES)
AS_OF = "2025-06-30"


def page(client, user, slug=None, **params):
    client.force_login(user)
    url = reverse("summaries:detail", args=[slug]) if slug else reverse("summaries:index")
    return client.get(url, {"as_of": AS_OF, **params})


def csv_rows(response):
    return list(csv.reader(io.StringIO(response.content.decode())))


def test_it_requires_login(client):
    response = client.get(reverse("summaries:index"))
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


@pytest.mark.parametrize("slug", SLUGS)
def test_each_table_renders_for_an_analyst(client, analyst, cohort, slug):
    response = page(client, analyst, slug)
    assert response.status_code == 200
    assert response.context["summary"].slug == slug


def test_the_index_shows_every_table(client, analyst, cohort):
    response = page(client, analyst)
    assert response.status_code == 200
    assert [summary.slug for summary, _ in response.context["summaries"]] == SLUGS
    assert "3 / 3 <strong>100.0%</strong>" in response.content.decode()


def test_the_csv_export_gives_count_denominator_percent_and_interval(client, analyst, cohort):
    response = page(client, analyst, "incidence-by-site", format="csv")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "incidence-by-site-anakinra-all-sites-2025-06-30.csv" in response["Content-Disposition"]
    header, *rows = csv_rows(response)
    assert header == ["Site", "Exposed patients", "Patients with ISR",
                      "ISR incidence (95% CI): count", "ISR incidence (95% CI): denominator",
                      "ISR incidence (95% CI): %", "ISR incidence (95% CI): 95% CI low %",
                      "ISR incidence (95% CI): 95% CI high %", "Reference"]
    assert rows[0] == ["site-01", "3", "3", "3", "3", "100.0", "29.24", "100.0", ""]
    assert rows[-1][:5] == ["All", "5", "4", "4", "5"]


@pytest.mark.parametrize("slug", SLUGS)
def test_each_table_exports_csv(client, analyst, cohort, slug):
    response = page(client, analyst, slug, format="csv")
    assert response.status_code == 200
    assert len(csv_rows(response)) > 1


def test_a_site_02_reporter_sees_no_site_01_counts(client, other_reporter, cohort, site):
    response = page(client, other_reporter, "incidence-by-site", site=site.pk)
    labels = [row["label"] for row in response.context["summary"].rows]
    assert labels == ["site-02", "All"]
    assert "site-01" not in response.content.decode()
    exported = csv_rows(page(client, other_reporter, "incidence-by-site", format="csv"))
    assert [row[0] for row in exported[1:]] == ["site-02", "All"]


def test_a_central_user_can_pick_one_site(client, reviewer, cohort, other_site):
    response = page(client, reviewer, "severity", site=other_site.pk)
    rows = {row["label"]: row["reactions"] for row in response.context["summary"].rows}
    assert (rows["Mild"].k, rows["Mild"].n) == (1, 1)


def test_it_rejects_a_future_as_of_date_naming_the_field(client, analyst):
    response = page(client, analyst, "severity", as_of="2999-01-01")
    assert response.status_code == 400
    assert "As of: The as-of date cannot be in the future." in response.content.decode()


def test_it_rejects_an_unknown_product(client, analyst):
    response = page(client, analyst, "severity", product="999999")
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()


def test_an_unknown_table_is_not_found(client, analyst):
    assert page(client, analyst, "no-such-table").status_code == 404


def grow_cohort(site, patients):
    for number in range(patients):
        patient = PatientFactory(site=site)
        ExposurePeriodFactory(patient=patient, start_date=date(2025, 1 + number % 5, 1))
        for day in range(1, 4):
            ReactionFactory(patient=patient, onset_date=date(2025, 6, day), symptoms=["pain", "other"])


@pytest.mark.parametrize("slug", [None, *SLUGS])
def test_the_number_of_queries_does_not_grow_with_the_data(client, admin_user, site, other_site, product,
                                                           django_assert_max_num_queries, slug):
    """As a superuser (every menu, the alert banner), counted from the rows: at most 12 queries."""
    limit = 12
    url = reverse("summaries:detail", args=[slug]) if slug else reverse("summaries:index")
    client.force_login(admin_user)
    grow_cohort(site, 2)
    with django_assert_max_num_queries(limit):
        assert client.get(url, {"as_of": AS_OF}).status_code == 200
    grow_cohort(other_site, 30)
    with django_assert_max_num_queries(limit):
        assert client.get(url, {"as_of": AS_OF}).status_code == 200


def test_the_stored_figures_cost_fewer_queries_whatever_the_data(client, admin_user, site, other_site, product,
                                                                django_assert_max_num_queries):
    from apps.summaries.snapshots import refresh_figures

    client.force_login(admin_user)
    for patients in (2, 30):
        grow_cohort(site, patients)
        refresh_figures()
        with django_assert_max_num_queries(10) as captured:
            response = client.get(reverse("summaries:index"))
        assert response.context["stored"] is not None
        assert not any("COUNT(" in query["sql"] for query in captured.captured_queries)


def test_a_repeated_request_is_served_from_the_cache(client, analyst, cohort, django_assert_max_num_queries):
    client.force_login(analyst)
    url = reverse("summaries:detail", args=["severity"])
    client.get(url, {"as_of": AS_OF})
    with django_assert_max_num_queries(10) as captured:
        response = client.get(url, {"as_of": AS_OF})
    assert not any("COUNT(" in query["sql"] for query in captured.captured_queries)
    assert response.context["summary"].rows[0]["reactions"].k == 4


def test_an_edit_through_the_services_shows_at_once(client, analyst, reviewer, cohort):
    from apps.reactions.models import InjectionSiteReaction
    from apps.reactions.services import reaction_void

    client.force_login(analyst)
    url = reverse("summaries:detail", args=["severity"])
    assert client.get(url, {"as_of": AS_OF}).context["summary"].rows[0]["reactions"].k == 4
    reaction_void(reaction=InjectionSiteReaction.objects.get(reaction_ref="R1"), actor=reviewer, reason="duplicate")
    assert client.get(url, {"as_of": AS_OF}).context["summary"].rows[0]["reactions"].k == 3


def test_the_json_download_of_a_table_holds_the_page_figures(client, analyst, cohort):
    response = page(client, analyst, "incidence-by-site", format="json")
    assert response["Content-Type"] == "application/json"
    assert "incidence-by-site-anakinra-all-sites-2025-06-30.json" in response["Content-Disposition"]
    body = response.json()
    assert body["scope"] == {"product": "anakinra", "site": None, "as_of": "2025-06-30",
                             "reference_profile_id": body["scope"]["reference_profile_id"]}
    (table,) = body["tables"]
    total = table["rows"][-1]
    assert total["label"] == "All" and total["exposed"] == 5 and total["with_isr"] == 4
    assert total["incidence"]["count"] == 4 and total["incidence"]["denominator"] == 5
    assert total["incidence"]["ci95"] == pytest.approx([0.2835821, 0.9949492])  # R: binom.test(4, 5)


def test_every_table_downloads_as_json_and_csv_from_the_index(client, analyst, cohort):
    tables = page(client, analyst, format="json").json()["tables"]
    assert [table["slug"] for table in tables] == SLUGS
    header, *lines = csv_rows(page(client, analyst, format="csv"))
    assert header == ["table", "row", "column", "count", "denominator", "percent", "ci95_low_percent",
                      "ci95_high_percent", "text"]
    assert {line[0] for line in lines} == set(SLUGS)
    severe = next(line for line in lines if line[:3] == ["severity", "Severe", "Reactions (95% CI)"])
    assert severe[3:6] == ["1", "6", "16.667"]
    json_severe = next(row for row in next(t for t in tables if t["slug"] == "severity")["rows"]
                       if row["label"] == "Severe")["reactions"]
    assert float(severe[6]) == pytest.approx(100 * json_severe["ci95"][0], abs=1e-3)


def test_a_site_reporter_downloads_only_their_site(client, other_reporter, cohort):
    tables = page(client, other_reporter, format="json").json()["tables"]
    by_site = next(table for table in tables if table["slug"] == "incidence-by-site")
    assert [row["label"] for row in by_site["rows"]] == ["site-02", "All"]
