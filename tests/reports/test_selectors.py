"""The report's SQL paths (one statement on SQLite, two on PostgreSQL) and its planner setting."""
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection, transaction

from apps.reports import selectors
from tests.reports.cohort import AS_OF, build_cohort

pytestmark = pytest.mark.django_db


def params_for(product, **filters):
    return selectors.ReportParams(product=product, as_of=AS_OF, reference_profile=product.current_reference_profile(),
                                  **filters)


@pytest.mark.parametrize("filters", [
    {},
    {"site": True},
    {"dose_mg_per_day": Decimal("200")},
    {"exposure_start_from": date(2026, 1, 1), "exposure_start_to": date(2026, 4, 1)},
])
def test_it_groups_the_same_rows_in_one_statement_as_in_two(site, other_site, product, filters):
    build_cohort(site, other_site)
    if filters.pop("site", False):
        filters["site_id"] = site.pk
    params = params_for(product, **filters)
    entries, ttf, firsts, reactions, _ = selectors.profile_groups(params)
    assert (entries, ttf, firsts) == selectors.patient_groups(params)
    assert reactions == selectors.reaction_groups(params)


def test_it_groups_the_reactions_of_exposed_patients_only(site, other_site, product):
    cohort = build_cohort(site, other_site)
    _, _, _, reactions, _ = selectors.profile_groups(params_for(product))
    # R1, R2, R3, R5, R6, R7; not the voided one, the other product's, nor those of E, F, G or after D (R4).
    assert sum(n for *_, n in reactions) == 6
    assert sorted((d, e) for d, e, _, _ in reactions) == [(11, 1), (20, 1), (26, 1), (43, 1), (122, 0), (456, 0)]
    assert cohort.reactions["R4"].onset_date > AS_OF


@pytest.mark.skipif(connection.vendor != "postgresql", reason="JIT is a PostgreSQL setting")
def test_it_turns_jit_off_for_the_report_and_restores_it(product):
    def jit():
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_setting('jit')")
            return cursor.fetchone()[0]

    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL jit = on")
        with selectors.without_jit():
            assert jit() == "off"
        assert jit() == "on"
        selectors.isr_profile(params_for(product))
        assert jit() == "on"

