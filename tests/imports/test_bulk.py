"""10,000 reactions with their patients and exposures: all or nothing at scale."""
import time
from datetime import date, timedelta

import pytest
from django.db import connection

from apps.imports.services import pv_csv_import
from apps.reactions.models import InjectionSiteReaction

from .helpers import messages, snapshot, write_csv

pytestmark = pytest.mark.django_db

PATIENTS = 2_000
REACTIONS_PER_PATIENT = 5
BAD_LINE = 5_001


def write_files(tmp_path, bad_line=None):
    """2,000 patients on two sites, one ongoing exposure each, five reactions each on distinct days."""
    patients = [f"P{n:05d},site-{n % 2 + 1:02d},{('female', 'male')[n % 2]},{1940 + n % 60}" for n in range(PATIENTS)]
    exposures = [f"P{n:05d},anakinra,2024-01-01,,100,subcutaneous,LOT-{n % 7}" for n in range(PATIENTS)]
    reactions = []
    for n in range(PATIENTS * REACTIONS_PER_PATIENT):
        patient, k = divmod(n, REACTIONS_PER_PATIENT)
        onset = date(2024, 2, 1) + timedelta(days=k * 20)
        resolution = onset + timedelta(days=3)
        if bad_line is not None and len(reactions) + 2 == bad_line:
            resolution = onset - timedelta(days=1)
        reactions.append(f"R{n:06d},P{patient:05d},anakinra,{onset},{resolution},mild,1,erythema;pain,,recovered")
    return dict(patients=write_csv(tmp_path, "patients", *patients),
                exposures=write_csv(tmp_path, "exposures", *exposures),
                reactions=write_csv(tmp_path, "reactions", *reactions))


def report(capsys, label, rows, seconds):
    with capsys.disabled():
        print(f"\n[{connection.vendor}] {label}: {rows:,} rows in {seconds:.2f} s = {rows / seconds:,.0f} rows/s")


def test_one_bad_row_among_10000_reactions_writes_nothing_and_is_reported(tmp_path, product, capsys):
    files = write_files(tmp_path, bad_line=BAD_LINE)
    before = snapshot()

    started = time.perf_counter()
    result = pv_csv_import(**files)
    elapsed = time.perf_counter() - started

    assert messages(result) == [
        f"{files['reactions']}:{BAD_LINE}: resolution_date: The resolution date is before the onset date."]
    assert snapshot() == before
    report(capsys, "refused import (validated, rolled back)", PATIENTS * (2 + REACTIONS_PER_PATIENT), elapsed)


def test_10000_reactions_with_their_patients_and_exposures_import(tmp_path, product, capsys):
    files = write_files(tmp_path)

    started = time.perf_counter()
    result = pv_csv_import(**files)
    elapsed = time.perf_counter() - started

    assert result.ok, messages(result)[:5]
    assert [counts.created for counts in result.files.values()] == [PATIENTS, PATIENTS,
                                                                       PATIENTS * REACTIONS_PER_PATIENT]
    assert InjectionSiteReaction.objects.count() == PATIENTS * REACTIONS_PER_PATIENT
    assert InjectionSiteReaction.history.count() == PATIENTS * REACTIONS_PER_PATIENT
    report(capsys, "import", PATIENTS * (2 + REACTIONS_PER_PATIENT), elapsed)

    started = time.perf_counter()
    again = pv_csv_import(**files)
    elapsed = time.perf_counter() - started
    assert again.ok and [counts.unchanged for counts in again.files.values()] == [
        PATIENTS, PATIENTS, PATIENTS * REACTIONS_PER_PATIENT]
    assert InjectionSiteReaction.history.count() == PATIENTS * REACTIONS_PER_PATIENT
    report(capsys, "re-import (all unchanged)", PATIENTS * (2 + REACTIONS_PER_PATIENT), elapsed)
