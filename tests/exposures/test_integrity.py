"""Integrity after edits: no exposure edit or void may leave a live reaction before the patient's first live
exposure (or without any); the database refuses dates out of order and, on PostgreSQL, overlapping live
periods; and no report fails, nor stores NaN, after any of the sequences that used to break them."""
import json
import math
from datetime import date
from decimal import Decimal
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.urls import reverse

from apps.exposures.models import ExposurePeriod
from apps.exposures.services import exposure_update, exposure_void
from apps.reactions.services import reaction_void
from apps.reports.models import AggregateReport
from tests.factories import SIGN_VOID, ExposurePeriodFactory, PatientFactory, ProductFactory, ReactionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def treated(patient, product):
    """A patient on two periods (January–March, then from May) with reactions in each."""
    first = ExposurePeriodFactory(patient=patient, start_date=date(2025, 1, 1), end_date=date(2025, 3, 31))
    second = ExposurePeriodFactory(patient=patient, start_date=date(2025, 5, 1), dose_mg_per_day=Decimal("200"))
    early = ReactionFactory(patient=patient, reaction_ref="R-EARLY", onset_date=date(2025, 1, 10))
    late = ReactionFactory(patient=patient, reaction_ref="R-LATE", onset_date=date(2025, 5, 20))
    return {"first": first, "second": second, "early": early, "late": late}


def message(excinfo):
    return " ".join(excinfo.value.messages)


def test_voiding_the_only_period_is_refused_naming_the_reaction(patient, product, reviewer):
    period = ExposurePeriodFactory(patient=patient, start_date=date(2025, 1, 1))
    ReactionFactory(patient=patient, reaction_ref="R-ONLY", onset_date=date(2025, 2, 1))
    with pytest.raises(ValidationError) as excinfo:
        exposure_void(period=period, actor=reviewer, reason="entered twice")
    assert "R-ONLY (onset 2025-02-01)" in message(excinfo)
    assert "without any exposure to this product" in message(excinfo)
    period.refresh_from_db()
    assert period.voided_at is None


def test_voiding_the_first_period_is_refused_when_a_reaction_precedes_the_next(treated, reviewer):
    with pytest.raises(ValidationError) as excinfo:
        exposure_void(period=treated["first"], actor=reviewer, reason="wrong dates")
    assert "R-EARLY (onset 2025-01-10)" in message(excinfo)
    assert "R-LATE" not in message(excinfo)
    assert "first remaining exposure (2025-05-01)" in message(excinfo)


def test_voiding_is_allowed_once_the_reactions_are_voided_first(treated, reviewer):
    reaction_void(reaction=treated["early"], actor=reviewer, reason="wrong patient")
    exposure_void(period=treated["first"], actor=reviewer, reason="wrong patient")
    assert ExposurePeriod.objects.get(pk=treated["first"].pk).is_voided


def test_voiding_a_later_period_that_no_reaction_needs_is_allowed(treated, reviewer):
    exposure_void(period=treated["second"], actor=reviewer, reason="never started")
    assert ExposurePeriod.objects.get(pk=treated["second"].pk).is_voided


def test_moving_the_first_start_after_a_reaction_is_refused(treated, reviewer):
    with pytest.raises(ValidationError) as excinfo:
        exposure_update(period=treated["first"], actor=reviewer, start_date=date(2025, 1, 15))
    assert excinfo.value.error_dict["start_date"][0].code == "reactions_left_uncovered"
    assert "R-EARLY (onset 2025-01-10)" in message(excinfo)
    assert ExposurePeriod.objects.get(pk=treated["first"].pk).start_date == date(2025, 1, 1)


def test_moving_a_start_earlier_or_up_to_the_first_onset_is_allowed(treated, reviewer):
    exposure_update(period=treated["first"], actor=reviewer, start_date=date(2025, 1, 10))
    exposure_update(period=treated["second"], actor=reviewer, start_date=date(2025, 4, 15))
    assert ExposurePeriod.objects.get(pk=treated["second"].pk).start_date == date(2025, 4, 15)


def test_moving_a_period_to_another_product_is_refused_when_it_leaves_reactions(patient, product, reviewer):
    period = ExposurePeriodFactory(patient=patient, start_date=date(2025, 1, 1))
    ReactionFactory(patient=patient, reaction_ref="R-MOVED", onset_date=date(2025, 2, 1))
    with pytest.raises(ValidationError) as excinfo:
        exposure_update(period=period, actor=reviewer, product=ProductFactory(code="other-biologic"))
    assert "R-MOVED" in message(excinfo)


def test_the_void_page_shows_the_refusal(client, reviewer, patient, product):
    period = ExposurePeriodFactory(patient=patient, start_date=date(2025, 1, 1))
    ReactionFactory(patient=patient, reaction_ref="R-PAGE", onset_date=date(2025, 2, 1))
    client.force_login(reviewer)
    response = client.post(reverse("exposures:void", args=[period.pk]), {"reason": "entered twice", **SIGN_VOID})
    assert response.status_code == 200
    assert "R-PAGE (onset 2025-02-01)" in response.content.decode()
    assert not ExposurePeriod.objects.get(pk=period.pk).is_voided


def test_the_database_refuses_an_exposure_ending_before_it_starts(exposure):
    with pytest.raises(IntegrityError), transaction.atomic():
        ExposurePeriod.objects.filter(pk=exposure.pk).update(start_date=date(2025, 5, 1), end_date=date(2025, 4, 1))


def test_the_database_refuses_a_reaction_resolving_before_its_onset(patient, exposure):
    reaction = ReactionFactory(patient=patient, onset_date=date(2025, 5, 1), resolution_date=date(2025, 5, 10))
    with pytest.raises(IntegrityError), transaction.atomic():
        type(reaction).objects.filter(pk=reaction.pk).update(resolution_date=date(2025, 4, 1))


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the exclusion constraint is PostgreSQL's")
def test_postgresql_refuses_an_overlapping_live_period_inserted_with_raw_sql(patient, product):
    ExposurePeriodFactory(patient=patient, start_date=date(2025, 1, 1), end_date=date(2025, 3, 31))
    ongoing = ExposurePeriodFactory(patient=patient, start_date=date(2025, 6, 1))
    insert = ("INSERT INTO exposures_exposureperiod (patient_id, product_id, start_date, end_date, dose_mg_per_day, "
              "route, lot_number, void_reason, created_at, updated_at, voided_at, version) "
              "VALUES (%s, %s, %s, %s, 100, 'subcutaneous', '', '', now(), now(), %s, 1)")
    for start, end in ((date(2025, 3, 31), date(2025, 4, 30)), (date(2026, 1, 1), None)):
        with pytest.raises(IntegrityError, match="exposure_live_periods_do_not_overlap"), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(insert, [patient.pk, product.pk, start, end, None])
    with connection.cursor() as cursor:  # a voided period may overlap: it is not exposure
        cursor.execute(insert, [patient.pk, product.pk, date(2026, 1, 1), None, ongoing.created_at])
    with connection.cursor() as cursor:  # the day after the first period ends is free
        cursor.execute(insert, [patient.pk, product.pk, date(2025, 4, 1), date(2025, 5, 31), None])


def aggregate(*args):
    out = StringIO()
    call_command("pv_aggregate", "--product", "anakinra", "--as-of", "2025-12-31", "--json", *args, stdout=out)
    return json.loads(out.getvalue())


def no_nan(value):
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, dict):
        return all(no_nan(item) for item in value.values())
    if isinstance(value, list):
        return all(no_nan(item) for item in value)
    return True


def test_no_report_fails_after_the_sequences_that_used_to_break_it(treated, patient, product, site, reviewer):
    other = PatientFactory(site=site, patient_ref="P-OTHER")
    only = ExposurePeriodFactory(patient=other, start_date=date(2025, 2, 1))
    ReactionFactory(patient=other, reaction_ref="R-OTHER", onset_date=date(2025, 2, 3))
    attempts = [
        lambda: exposure_void(period=only, actor=reviewer, reason="void the only period"),
        lambda: exposure_update(period=treated["first"], actor=reviewer, start_date=date(2025, 2, 1)),
        lambda: exposure_void(period=treated["first"], actor=reviewer, reason="void the first period"),
        lambda: exposure_update(period=only, actor=reviewer, start_date=date(2025, 2, 10)),
    ]
    for attempt in attempts:
        with pytest.raises(ValidationError):
            attempt()
        for record in (only, treated["first"]):
            record.refresh_from_db()  # a refused edit leaves the stored row as it was
    # What is allowed: void the reaction, then the period it needed; end the other's exposure early.
    reaction_void(reaction=treated["early"], actor=reviewer, reason="wrong patient")
    exposure_void(period=treated["first"], actor=reviewer, reason="wrong patient")
    exposure_update(period=only, actor=reviewer, end_date=date(2025, 2, 5))

    for args in ((), ("--site", site.code), ("--dose", "200")):
        results = aggregate(*args)
        assert results["patients_with_isr"] <= results["exposed_patients"]
        assert results["time_to_first_isr_median_km"] is None or results["time_to_first_isr_median_km"] > 0
    for report in AggregateReport.objects.all():
        assert no_nan(report.results) and no_nan(report.details), report.pk


def test_an_empty_cohort_stores_nulls_with_reasons(product):
    aggregate()
    report = AggregateReport.objects.get()
    assert report.results["isr_incidence"] is None and report.results["eair_per_100py"] is None
    assert report.details["undefined"]["isr_incidence"] == "no exposed patients"
    assert report.details["undefined"]["eair_per_100py"] == "no time at risk"
    assert report.details["undefined"]["eaer_per_100py"] == "no exposure time"
    assert report.details["undefined"]["mild_moderate_share"] == "no patients with an ISR"
