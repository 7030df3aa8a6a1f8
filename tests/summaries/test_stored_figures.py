"""Stored figures (the precomputed rollups) and the rows agree after random sequences of writes.

Each example applies a random sequence of creates, edits and voids through the services and CSV imports
through the importer. After every step the stored figures must be recognised as older than the data
(no write path slips past the data stamp), and after the refresh task they must equal the figures
counted from the rows, for every stored scope (all sites and each site), summaries and dashboard alike;
the pages then show them.
"""
import itertools
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from hypothesis import HealthCheck, given, settings, strategies as st

from apps.dashboard.selectors import dashboard_figures
from apps.exposures.models import ExposurePeriod
from apps.exposures.services import exposure_create, exposure_update, exposure_void
from apps.imports.services import pv_csv_import
from apps.patients.services import patient_create
from apps.reactions.models import InjectionSiteReaction
from apps.reactions.services import reaction_create, reaction_update, reaction_void
from apps.summaries import snapshots
from apps.summaries.models import FigureSnapshot
from apps.summaries.selectors import all_summaries

pytestmark = pytest.mark.django_db

START = date(2026, 1, 5)
REFS = itertools.count(1)


class World:
    def __init__(self, sites, product, reviewer, tmp_path):
        self.sites, self.product, self.reviewer, self.tmp_path = sites, product, reviewer, tmp_path

    def next_ref(self, prefix):  # examples share the test's transaction: references stay unique across them
        return f"{prefix}-{next(REFS):04d}"

    def live_periods(self):
        return list(ExposurePeriod.objects.filter(voided_at__isnull=True, patient__voided_at__isnull=True)
                    .select_related("patient").order_by("pk"))

    def live_reactions(self):
        return list(InjectionSiteReaction.objects.filter(voided_at__isnull=True).select_related("patient")
                    .order_by("pk"))


def create_patient(world, pick):
    patient = patient_create(site=world.sites[pick % 2], patient_ref=world.next_ref("P"), sex="female",
                             actor=world.reviewer)
    exposure_create(patient=patient, product=world.product, start_date=START + timedelta(days=pick % 60),
                    end_date=None if pick % 3 else START + timedelta(days=120), dose_mg_per_day=Decimal(100 + 100 * (pick % 2)),
                    actor=world.reviewer)
    return True


def create_reaction(world, pick):
    periods = world.live_periods()
    if not periods:
        return
    period = periods[pick % len(periods)]
    onset = period.start_date + timedelta(days=pick % 90)
    resolved = pick % 4 != 0
    reaction_create(reaction_ref=world.next_ref("R"), patient=period.patient, product=world.product,
                    onset_date=onset, resolution_date=onset + timedelta(days=5 + pick % 30) if resolved else None,
                    severity=("mild", "moderate", "severe")[pick % 3], symptoms=[("erythema", "pain")[pick % 2]],
                    outcome="recovered" if resolved else "not_recovered", actor=world.reviewer,
                    confirm_duplicate=True)
    return True


def edit_reaction(world, pick):
    reactions = world.live_reactions()
    if reactions:
        reaction = reactions[pick % len(reactions)]
        if reaction.status == "reviewed":
            return
        reaction_update(reaction=reaction, actor=world.reviewer, severity=("mild", "moderate", "severe")[pick % 3],
                        ctcae_grade=1 + pick % 3)
        return True


def void_reaction(world, pick):
    reactions = world.live_reactions()
    if reactions:
        reaction_void(reaction=reactions[pick % len(reactions)], actor=world.reviewer, reason="random void")
        return True


def void_exposure(world, pick):
    periods = world.live_periods()
    if periods:
        exposure_void(period=periods[pick % len(periods)], actor=world.reviewer, reason="random void")
        return True


def move_exposure(world, pick):
    periods = world.live_periods()
    if periods:
        period = periods[pick % len(periods)]
        exposure_update(period=period, actor=world.reviewer, start_date=period.start_date + timedelta(days=pick % 20 - 10))
        return True


def import_files(world, pick):
    ref = world.next_ref("IMP")
    site = world.sites[pick % 2].code
    files = {
        "patients": f"patient_ref,site,sex,birth_year\n{ref},{site},male,1960\n",
        "exposures": "patient_ref,product_code,start_date,end_date,dose_mg_per_day,route,lot_number\n"
                     f"{ref},anakinra,{START.isoformat()},,100,subcutaneous,L1\n",
        "reactions": "reaction_ref,patient_ref,product_code,onset_date,resolution_date,severity,ctcae_grade,symptoms,"
                     "seriousness,outcome\n"
                     f"{ref}-R,{ref},anakinra,{(START + timedelta(days=3 + pick % 30)).isoformat()},,"
                     f"{('mild', 'severe')[pick % 2]},,erythema,,not_recovered\n",
    }
    paths = {}
    for kind, text in files.items():
        paths[kind] = world.tmp_path / f"{ref}-{kind}.csv"
        paths[kind].write_text(text)
    result = pv_csv_import(**paths)
    assert result.ok, result.errors
    return True


STEPS = [create_patient, create_reaction, edit_reaction, void_reaction, void_exposure, move_exposure, import_files]


def assert_stored_equals_rows():
    for scope, reference in snapshots.precomputed_scopes():
        summaries = FigureSnapshot.objects.get(scope_key=snapshots.scope_key("summaries", scope))
        assert summaries.payload == {"tables": [s.as_json(sources=True) for s in all_summaries(scope, reference)]}, scope
        dashboard = FigureSnapshot.objects.get(scope_key=snapshots.scope_key("dashboard", scope))
        assert dashboard.payload == dashboard_figures(scope, reference), scope


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                HealthCheck.too_slow])
@given(steps=st.lists(st.tuples(st.sampled_from(STEPS), st.integers(min_value=0, max_value=10_000)),
                      min_size=1, max_size=8))
def test_stored_figures_and_rows_agree_after_random_writes(site, other_site, product, reviewer, tmp_path, steps):
    world = World([site, other_site], product, reviewer, tmp_path)
    create_patient(world, 0)
    snapshots.refresh_figures()
    assert_stored_equals_rows()
    for step, pick in steps:
        before = {s.scope_key: s.data_stamp for s in FigureSnapshot.objects.all()}
        try:
            wrote = step(world, pick)  # None: nothing to act on (no reaction yet, a locked one)
        except ValidationError:
            continue  # a refused write (an overlap, a reaction left before the first exposure) changes nothing
        if not wrote:
            continue
        stored = FigureSnapshot.objects.all()
        assert all(snapshots.is_stale(snapshot) for snapshot in stored), step.__name__
        assert snapshots.refresh_figures() == len(before)  # every stored scope recomputed
        assert_stored_equals_rows()


def test_the_pages_read_the_stored_figures_and_say_when_they_are_older_than_the_data(
        client, analyst, site, product, reviewer, tmp_path, django_assert_max_num_queries):
    world = World([site, site], product, reviewer, tmp_path)
    create_patient(world, 1)
    create_reaction(world, 1)
    snapshots.refresh_figures()
    client.force_login(analyst)
    response = client.get(reverse("summaries:index"))
    assert response.context["stored"] is not None and not response.context["stale"]
    assert "Counted from the records at" in response.content.decode()
    import_files(world, 3)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("summaries:index"))
    assert response.context["stale"]
    assert "the figures are being refreshed" in response.content.decode()
    before = {s.slug: s.as_json() for s, _ in response.context["summaries"]}
    snapshots.refresh_figures()
    after = {s.slug: s.as_json() for s, _ in client.get(reverse("summaries:index")).context["summaries"]}
    assert after["incidence-by-site"]["rows"][-1]["exposed"] == before["incidence-by-site"]["rows"][-1]["exposed"] + 1
    figures = client.get(reverse("dashboard:home")).context["figures"]
    assert figures.computed_at is not None and not figures.stale
    assert figures.results["exposed_patients"] == 2
