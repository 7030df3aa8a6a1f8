"""The reaction listing at scale: no COUNT, few queries, index-backed order, both site-scoping plans, search."""
import re
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apps.reactions import selectors
from apps.reactions.models import SQLITE_INDEX_WALK_SHARE
from tests.factories import PatientFactory, ReactionFactory, SiteFactory, UserFactory

pytestmark = pytest.mark.django_db


def refs_on_page(response):
    return re.findall(r">(R-[A-Z0-9-]+)</a>", response.content.decode())


@pytest.fixture
def twenty_six(site, product):
    """26 reactions of one patient, onsets one day apart: R-00 is the oldest."""
    patient = PatientFactory(site=site, patient_ref="P-MANY")
    return [ReactionFactory(patient=patient, product=product, reaction_ref=f"R-{n:02d}",
                            onset_date=date(2025, 1, 1) + timedelta(days=n), resolution_date=None,
                            outcome="not_recovered")
            for n in range(26)]


@pytest.mark.parametrize("role", ["analyst", "reporter"])
def test_a_page_costs_fewer_than_15_queries_and_never_counts_the_reactions(client, role, analyst, reporter, twenty_six):
    client.force_login({"analyst": analyst, "reporter": reporter}[role])
    client.get(reverse("reactions:list"))  # session, caches
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("reactions:list"), {"page": 2})
    assert response.status_code == 200
    assert len(queries) < 15
    counts = [q["sql"] for q in queries if "COUNT(" in q["sql"].upper()]
    assert not [sql for sql in counts if "reactions_injectionsitereaction" in sql]


def test_pages_are_newest_onset_first_and_link_to_the_next_while_rows_remain(client, analyst, twenty_six):
    client.force_login(analyst)
    first = client.get(reverse("reactions:list"))
    assert refs_on_page(first)[:2] == ["R-25", "R-24"] and len(refs_on_page(first)) == 25
    assert "page=2" in first.content.decode()
    second = client.get(reverse("reactions:list"), {"page": 2})
    assert refs_on_page(second) == ["R-00"]
    assert "page=3" not in second.content.decode()


def test_it_sorts_by_onset_and_reference_but_ignores_columns_without_an_index(client, analyst, twenty_six):
    client.force_login(analyst)

    def first_refs(sort):
        return refs_on_page(client.get(reverse("reactions:list"), {"sort": sort}))[:2]

    assert first_refs("onset_date") == ["R-00", "R-01"]
    assert first_refs("-onset_date") == ["R-25", "R-24"]
    assert first_refs("reaction_ref") == ["R-00", "R-01"]
    assert first_refs("-reaction_ref") == ["R-25", "R-24"]
    assert first_refs("severity") == ["R-25", "R-24"]  # not sortable: the default order
    content = client.get(reverse("reactions:list")).content.decode()
    assert "sort=severity" not in content and "sort=onset_date" in content


def test_same_day_onsets_come_in_reference_order_both_ways(client, analyst, patient, product):
    for ref in ("R-B", "R-A", "R-C"):
        ReactionFactory(patient=patient, product=product, reaction_ref=ref, onset_date=date(2025, 2, 1))
    client.force_login(analyst)
    assert refs_on_page(client.get(reverse("reactions:list"))) == ["R-A", "R-B", "R-C"]
    assert refs_on_page(client.get(reverse("reactions:list"), {"sort": "onset_date"})) == ["R-C", "R-B", "R-A"]


def test_each_sites_reporter_sees_only_their_site_whether_the_site_is_large_or_small(client, product):
    """The big site (25 of 26 patients) pages by the onset index on SQLite, the small one filters first."""
    big, small = SiteFactory(code="big"), SiteFactory(code="small")
    for n in range(25):
        ReactionFactory(patient=PatientFactory(site=big), product=product, reaction_ref=f"R-BIG-{n:02d}",
                        onset_date=date(2025, 3, 1) + timedelta(days=n))
    ReactionFactory(patient=PatientFactory(site=small), product=product, reaction_ref="R-SMALL",
                    onset_date=date(2025, 3, 10))
    assert 1 < SQLITE_INDEX_WALK_SHARE * 26 < 25
    for site, expected in ((big, [f"R-BIG-{n:02d}" for n in range(24, -1, -1)]), (small, ["R-SMALL"])):
        client.force_login(UserFactory(site=site, roles=["reporter"]))
        assert refs_on_page(client.get(reverse("reactions:list"))) == expected
        assert refs_on_page(client.get(reverse("reactions:list"), {"site": big.pk})) == (
            expected if site == big else [])


def test_an_analyst_filters_by_a_large_or_a_small_site(client, analyst, product):
    big, small = SiteFactory(code="big"), SiteFactory(code="small")
    for n in range(25):
        ReactionFactory(patient=PatientFactory(site=big), product=product, reaction_ref=f"R-BIG-{n:02d}")
    ReactionFactory(patient=PatientFactory(site=small), product=product, reaction_ref="R-SMALL")
    client.force_login(analyst)
    assert len(refs_on_page(client.get(reverse("reactions:list"), {"site": big.pk}))) == 25
    assert refs_on_page(client.get(reverse("reactions:list"), {"site": small.pk})) == ["R-SMALL"]


@pytest.mark.parametrize("probe", [500, 1], ids=["few matches: ids first", "many matches: row by row"])
def test_search_finds_reaction_and_patient_references_case_insensitively(
        client, reviewer, site, other_site, product, monkeypatch, probe):
    monkeypatch.setattr(selectors, "SEARCH_PROBE_REACTIONS", probe)
    monkeypatch.setattr(selectors, "SEARCH_PROBE_PATIENTS", probe)
    ReactionFactory(patient=PatientFactory(site=site, patient_ref="P-KEY-1"), product=product,
                    reaction_ref="R-OTHER-1")
    ReactionFactory(patient=PatientFactory(site=site, patient_ref="P-2"), product=product, reaction_ref="R-KEY-2")
    ReactionFactory(patient=PatientFactory(site=other_site, patient_ref="P-3"), product=product,
                    reaction_ref="R-NONE-3")
    client.force_login(reviewer)

    def found(text, **params):
        return set(refs_on_page(client.get(reverse("reactions:list"), {"search": text, **params})))

    assert found("key") == {"R-OTHER-1", "R-KEY-2"}
    assert found("other-1") == {"R-OTHER-1"}
    assert found("key", site=other_site.pk) == set()
    assert found("nowhere") == set()


def test_search_stays_within_a_reporters_site(client, reporter, patient, other_site, product):
    ReactionFactory(patient=patient, product=product, reaction_ref="R-KEY-MINE")
    ReactionFactory(patient=PatientFactory(site=other_site), product=product, reaction_ref="R-KEY-THEIRS")
    client.force_login(reporter)
    assert refs_on_page(client.get(reverse("reactions:list"), {"search": "key"})) == ["R-KEY-MINE"]
