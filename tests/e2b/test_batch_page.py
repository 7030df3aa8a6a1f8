"""The E2B batch page: reviewed cases only, filters, a count, pages, and 'all matching'."""
from datetime import date

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st

from apps.e2b.models import E2bExport
from apps.e2b.views import BATCH_PAGE_SIZE
from tests.e2b.icsr import messages, parse
from tests.factories import ExposurePeriodFactory, PatientFactory, ReactionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def cases(make_case, other_site, product):
    site_01 = [make_case(status="reviewed", onset_date=date(2025, 1, day), resolution_date=date(2025, 1, 30))
               for day in (10, 11, 12)]
    serious = make_case(status="reviewed", seriousness=["other_medically_important"], onset_date=date(2025, 1, 15))
    submitted = make_case(status="submitted")
    patient = PatientFactory(site=other_site)
    ExposurePeriodFactory(patient=patient, product=product)
    site_02 = ReactionFactory(patient=patient, product=product, status="reviewed", meddra_llt_code="10022086",
                              meddra_version="27.1", causality="possible")
    return {"site_01": site_01, "serious": serious, "submitted": submitted, "site_02": site_02}


def listed(client, **query):
    response = client.get(reverse("e2b:batch_export"), query)
    assert response.status_code == 200
    return response, {r.reaction_ref for r in response.context["page"]}


def test_only_reviewed_cases_with_a_count(client, reviewer, cases):
    client.force_login(reviewer)
    response, refs = listed(client)
    assert cases["submitted"].reaction_ref not in refs and len(refs) == 5
    assert response.context["count"] == 5 and "<strong>5</strong> reviewed cases match" in response.content.decode()


def test_filters_by_site_onset_seriousness_and_export_state(client, reviewer, cases, sender, site):
    client.force_login(reviewer)
    assert listed(client, site=site.pk)[1] == {c.reaction_ref for c in cases["site_01"]} | {cases["serious"].reaction_ref}
    assert listed(client, onset_date_after="2025-01-11", onset_date_before="2025-01-12")[1] == {
        c.reaction_ref for c in cases["site_01"][1:]}
    assert listed(client, serious="yes")[1] == {cases["serious"].reaction_ref}
    client.post(reverse("e2b:batch_export"), {"reaction": [cases["serious"].pk]})
    assert cases["serious"].reaction_ref not in listed(client, not_exported="yes")[1]
    assert listed(client, not_exported="no")[1] == {cases["serious"].reaction_ref}


def test_pages_hold_a_fixed_number_and_keep_the_filters(client, reviewer, make_case, site):
    for day in range(BATCH_PAGE_SIZE + 3):
        make_case(status="reviewed", onset_date=date(2025, 1, 10), reaction_ref=f"R-P-{day:03d}")
    client.force_login(reviewer)
    response, refs = listed(client, site=site.pk)
    assert len(refs) == BATCH_PAGE_SIZE and response.context["count"] == BATCH_PAGE_SIZE + 3
    assert f"site={site.pk}&amp;page=2" in response.content.decode()
    assert len(listed(client, site=site.pk, page=2)[1]) == 3


def test_all_matching_exports_every_filtered_case(client, reviewer, cases, sender, site):
    client.force_login(reviewer)
    response = client.post(reverse("e2b:batch_export"), {"all_matching": "1", "site": site.pk, "serious": "no"})
    assert response.status_code == 200
    assert len(messages(parse(response.content))) == 3
    assert E2bExport.objects.count() == 3


def test_all_matching_above_the_batch_limit_is_refused(client, reviewer, cases, sender, settings):
    settings.E2B_BATCH_MAX_CASES = 2
    client.force_login(reviewer)
    response = client.post(reverse("e2b:batch_export"), {"all_matching": "1"})
    assert response.status_code == 400 and "More than 2 cases match" in response.content.decode()
    assert not E2bExport.objects.exists()


def test_a_ticked_unreviewed_case_is_refused(client, reviewer, cases, sender):
    client.force_login(reviewer)
    response = client.post(reverse("e2b:batch_export"), {"reaction": [cases["submitted"].pk]})
    assert response.status_code == 400 and "not reviewed yet" in response.content.decode()


@hsettings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(query=st.dictionaries(st.sampled_from(["site", "onset_date_after", "onset_date_before", "serious",
                                              "not_exported", "page"]), st.text(max_size=12), max_size=4))
def test_any_filter_input_is_a_page_or_a_form_error_never_a_crash(client, reviewer, query):
    client.force_login(reviewer)
    assert client.get(reverse("e2b:batch_export"), query).status_code in (200, 400)
    response = client.post(reverse("e2b:batch_export"), {**query, "all_matching": "1"})
    assert response.status_code in (200, 400)
    assert not E2bExport.objects.exists() or response.status_code == 200
