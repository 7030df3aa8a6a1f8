"""The report's SQL paths (one statement on SQLite, two on PostgreSQL) and its planner setting."""
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection, transaction

from apps.cohort import profile, queries
from apps.cohort.scope import Scope
from apps.cohort.sql import without_jit
from tests.reports.cohort import AS_OF, build_cohort

pytestmark = pytest.mark.django_db


def scope_for(product, **filters):
    return Scope(product=product, as_of=AS_OF, **filters)


@pytest.mark.parametrize("filters", [
    {},
    {"site": True},
    {"dose_mg_per_day": Decimal("200")},
    {"exposure_start_from": date(2026, 1, 1), "exposure_start_to": date(2026, 4, 1)},
])
def test_it_groups_the_same_rows_in_one_statement_as_in_two(site, other_site, product, filters):
    build_cohort(site, other_site)
    if filters.pop("site", False):
        filters["site"] = site
    scope = scope_for(product, **filters)
    patients, reactions, _ = queries.profile_groups(scope)
    assert patients == queries.patient_groups(scope)
    assert reactions == queries.reaction_groups(scope)


def test_it_groups_the_reactions_of_exposed_patients_only(site, other_site, product):
    cohort = build_cohort(site, other_site)
    _, reactions, _ = queries.profile_groups(scope_for(product))
    # R1, R2, R3, R5, R6, R7; not the voided one, the other product's, nor those of E, F, G or after D (R4).
    assert sum(group.reactions for group in reactions) == 6
    assert sorted((g.duration_days, g.resolved) for g in reactions) == [
        (11, True), (20, True), (26, True), (43, True), (122, False), (456, False)]
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
        with without_jit():
            assert jit() == "off"
        assert jit() == "on"
        profile.isr_profile(scope_for(product), product.current_reference_profile())
        assert jit() == "on"

