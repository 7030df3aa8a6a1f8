"""`pv_aggregate` and `export_e2b` with bad arguments: a CommandError that names the argument,
exit status 1 from the shell, and nothing written (no report row, no export record, no file)."""
import os
import subprocess
import sys
from datetime import date
from io import StringIO

import pytest
from django.conf import settings as django_settings
from django.core.management import CommandError, call_command
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from apps.e2b.models import E2bExport
from apps.reports.models import AggregateReport
from tests.factories import ReactionFactory

from .conftest import row_counts
from .strategies import any_text, date_text, number_text

pytestmark = pytest.mark.django_db

EXAMPLES = settings(max_examples=40, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
E2B_READY = dict(onset_date=date(2025, 1, 10), resolution_date=date(2025, 1, 30), outcome="recovered",
                 seriousness=[], meddra_llt_code="10022086", meddra_version="27.1", causality="probable",
                 action_taken="unchanged", injection_site="abdomen_left", diameter_mm=35,
                 symptoms=["erythema", "swelling"], reporter_qualification="physician", status="submitted")

# What each option is called in a message that blames it.
AGGREGATE_OPTIONS = {
    "--product": ("product",), "--as-of": ("--as-of", "as_of", "as of"), "--site": ("site",),
    "--dose": ("--dose", "dose"), "--exposure-start-from": ("--exposure-start-from", "exposure_start_from"),
    "--exposure-start-to": ("--exposure-start-to", "exposure_start_to"), "--reference": ("reference",),
}
GOOD = {"--product": "anakinra", "--as-of": "2025-06-30"}


def aggregate(args):
    return call_command("pv_aggregate", *args, "--json", stdout=StringIO(), stderr=StringIO())


@pytest.mark.parametrize("option", list(AGGREGATE_OPTIONS))
def test_pv_aggregate_with_an_arbitrary_argument_runs_or_blames_that_argument(option, exposure, site):
    values = st.one_of(st.just(""), any_text, date_text, number_text,
                       st.sampled_from(["anakinra", "site-01", "site-02", "2025-01-01", "2099-01-01", "100", "-5"]))

    @EXAMPLES
    @given(value=values.filter(lambda v: not v.startswith("-") or v.lstrip("-")[:1].isdigit()))
    def run(value):
        args = {**GOOD, option: value}
        with transaction.atomic():
            before = row_counts()
            try:
                aggregate([part for pair in args.items() for part in pair])
            except CommandError as exc:
                message = str(exc)
                assert any(name in message for name in AGGREGATE_OPTIONS[option]), (option, value, message)
                assert row_counts() == before
            transaction.set_rollback(True)

    run()


@pytest.mark.parametrize("args, blamed", [
    (["--product", "nope", "--as-of", "2025-06-30"], "Unknown product 'nope'"),
    (["--product", "anakinra", "--as-of", "30/06/2025"], "--as-of: '30/06/2025' is not a date"),
    (["--product", "anakinra", "--as-of", "2025-06-30", "--exposure-start-from", "2025-02-30"],
     "--exposure-start-from: '2025-02-30' is not a date"),
    (["--product", "anakinra", "--as-of", "2025-06-30", "--exposure-start-to", "June"],
     "--exposure-start-to: 'June' is not a date"),
    (["--product", "anakinra", "--as-of", "2025-06-30", "--site", "site-99"], "Unknown site 'site-99'"),
    (["--product", "anakinra", "--as-of", "2025-06-30", "--reference", "x"], "--reference"),
    (["--product", "anakinra"], "--as-of"),
])
def test_pv_aggregate_names_the_bad_argument_and_writes_nothing(exposure, args, blamed):
    with pytest.raises(CommandError) as refused:
        call_command("pv_aggregate", *args, stdout=StringIO())
    assert blamed in str(refused.value)
    assert not AggregateReport.objects.exists()


@pytest.fixture
def case(exposure, product, sender):
    reaction = ReactionFactory(patient=exposure.patient, product=product, reaction_ref="R-READY", **E2B_READY)
    reaction.full_clean()
    return reaction


def export(*args):
    return call_command("export_e2b", *map(str, args), stdout=StringIO(), stderr=StringIO())


def test_export_e2b_with_arbitrary_references_writes_a_file_or_nothing(case, tmp_path):
    out = tmp_path / "batch.xml"

    @EXAMPLES
    @given(refs=st.lists(st.one_of(any_text, st.just("R-READY")), min_size=1, max_size=4))
    def run(refs):
        args = [f"--reaction-ref={ref}" for ref in refs]
        with transaction.atomic():
            before = row_counts()
            try:
                export(*args, "--out", str(out))
            except CommandError as exc:
                assert "--reaction-ref" in str(exc) and "no file written" in str(exc).lower(), str(exc)
                assert row_counts() == before and not out.exists()
            else:
                assert out.read_bytes().startswith(b"<?xml") and E2bExport.objects.count() > before["e2b.E2bExport"]
                out.unlink()
            transaction.set_rollback(True)

    run()


@pytest.mark.parametrize("make_out, blamed", [
    (lambda tmp: tmp / "missing-folder" / "x.xml", "--out: The folder"),
    (lambda tmp: tmp / "sub", "--out: "),  # a folder, not a file
    (lambda tmp: tmp / "blocked.xml", "--out: cannot write"),  # its temporary file cannot be created
])
def test_export_e2b_refuses_an_unusable_out_path_and_records_no_export(case, tmp_path, make_out, blamed):
    (tmp_path / "sub").mkdir()
    (tmp_path / "blocked.xml.part").mkdir()
    before = row_counts()
    with pytest.raises(CommandError) as refused:
        export("--reaction-ref", "R-READY", "--out", str(make_out(tmp_path)))
    assert blamed in str(refused.value) and "no file written" in str(refused.value).lower()
    assert row_counts() == before, "an export was recorded although no file was written"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["blocked.xml.part", "sub"]


def test_export_e2b_blames_unknown_references(case, tmp_path):
    with pytest.raises(CommandError, match="No reaction with reference R-404, R-405; no file written."):
        export("--reaction-ref", "R-READY", "--reaction-ref", "R-404", "--reaction-ref", "R-405",
               "--out", str(tmp_path / "x.xml"))
    assert not E2bExport.objects.exists() and not (tmp_path / "x.xml").exists()


@pytest.mark.parametrize("command", [
    ["pv_aggregate", "--product", "anakinra"],
    ["export_e2b", "--out", "x.xml"],
])
def test_bad_arguments_exit_with_status_1_from_the_shell(tmp_path, command):
    env = {**os.environ, "PV_VAR_DIR": str(tmp_path / "var"), "DATABASE_URL": f"sqlite:///{tmp_path / 'none.db'}"}
    done = subprocess.run([sys.executable, "manage.py", *command], cwd=django_settings.BASE_DIR, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode != 0
    assert ("--as-of" if command[0] == "pv_aggregate" else "--reaction-ref") in done.stderr
