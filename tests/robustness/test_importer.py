"""The CSV importer fed arbitrary content: every refusal names file, line and reason, and a
refused import writes nothing (rows and history rows counted); an accepted one writes only
valid records."""
import csv
import io
import os
import re
import subprocess
import sys
from io import StringIO

import pytest
from django.conf import settings as django_settings
from django.core.management import CommandError, call_command
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from apps.exposures.models import ExposurePeriod
from apps.imports.services import pv_csv_import
from apps.patients.models import Patient
from apps.reactions.models import InjectionSiteReaction

from .conftest import row_counts
from .strategies import any_text, date_text, number_text

pytestmark = pytest.mark.django_db

EXAMPLES = settings(max_examples=40, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
HEADERS = {
    "patients": ["patient_ref", "site", "sex", "birth_year"],
    "exposures": ["patient_ref", "product_code", "start_date", "end_date", "dose_mg_per_day", "route", "lot_number"],
    "reactions": ["reaction_ref", "patient_ref", "product_code", "onset_date", "resolution_date", "severity",
                  "ctcae_grade", "symptoms", "seriousness", "outcome", "injection_site", "diameter_mm",
                  "meddra_llt_code", "site"],
}
# Two valid rows per file (the `exposure` fixture: patient P-001 of site-01, on anakinra from 2025-01-01).
VALID = {
    "patients": [["P-NEW", "site-01", "female", "1970"], ["P-NEW-2", "site-01", "male", ""]],
    "exposures": [["P-001", "anakinra", "2024-01-01", "2024-03-31", "100", "subcutaneous", "LOT-1"],
                  ["P-001", "anakinra", "2024-04-01", "2024-06-30", "200", "", ""]],
    "reactions": [["R-NEW", "P-001", "anakinra", "2025-02-01", "2025-02-10", "mild", "1", "erythema;pain", "",
                   "recovered", "abdomen_left", "20", "10022086", ""],
                  ["R-NEW-2", "P-001", "anakinra", "2025-03-01", "", "severe", "", "pain", "hospitalisation",
                   "not_recovered", "", "", "", "site-01"]],
}
MODELS = {"patients": Patient, "exposures": ExposurePeriod, "reactions": InjectionSiteReaction}
CODES = ["female", "male", "site-01", "site-02", "anakinra", "P-001", "P-NEW", "mild", "severe", "recovered",
         "fatal", "erythema", "erythema;pain", "death", "subcutaneous", "5", "0", "-1", "10022086"]
cell = st.one_of(st.just(""), any_text, date_text, number_text, st.sampled_from(CODES))


def csv_bytes(header, rows, *, bom=False, newline="\n"):
    out = io.StringIO()
    writer = csv.writer(out, lineterminator=newline)
    writer.writerow(header)
    writer.writerows(rows)
    return (b"\xef\xbb\xbf" if bom else b"") + out.getvalue().encode("utf-8")


def assert_problems_name_file_line_and_reason(result, path):
    assert result.errors and not result.written
    pattern = re.compile(rf"^{re.escape(str(path))}(:\d+)?: [\w ]+: \S")
    for problem in result.errors:
        assert pattern.match(str(problem)), str(problem)


@pytest.mark.parametrize("kind", list(HEADERS))
def test_arbitrary_cells_are_imported_valid_or_refused_by_line_with_nothing_written(kind, tmp_path, exposure):
    path = tmp_path / f"{kind}.csv"
    width = len(HEADERS[kind])
    outcomes = set()

    @EXAMPLES
    @given(junk_row=st.lists(cell, min_size=width, max_size=width), position=st.integers(0, 2),
           bom=st.booleans(), crlf=st.booleans())
    def run(junk_row, position, bom, crlf):
        rows = [list(row) for row in VALID[kind]]  # the junk row goes before, between or after them
        rows.insert(position, junk_row)
        path.write_bytes(csv_bytes(HEADERS[kind], rows, bom=bom, newline="\r\n" if crlf else "\n"))
        with transaction.atomic():
            before = row_counts()
            result = pv_csv_import(**{kind: path})
            outcomes.add(result.ok)
            if result.ok:
                for record in MODELS[kind].objects.all():
                    record.full_clean()
            else:
                assert_problems_name_file_line_and_reason(result, path)
                # A lone CR inside an unquoted cell is a line break to the CSV reader (as to Excel), so the
                # junk row may span several physical lines; the problem names one of them.
                breaks = sum(cell.count("\r") + cell.count("\n") for cell in junk_row)
                junk_lines = set(range(position + 2, position + 3 + breaks))
                assert {problem.line for problem in result.errors} <= junk_lines | {1}, [*map(str, result.errors)]
                assert row_counts() == before
            transaction.set_rollback(True)

    run()
    assert outcomes == {True, False}, "expected both accepted and refused examples"


def test_arbitrary_bytes_are_refused_with_a_reason_and_nothing_written(tmp_path, exposure):
    path = tmp_path / "reactions.csv"
    header = ",".join(HEADERS["reactions"]).encode()

    @EXAMPLES
    @given(body=st.binary(max_size=400), with_header=st.booleans())
    def run(body, with_header):
        path.write_bytes((header + b"\n" if with_header else b"") + body)
        with transaction.atomic():
            before = row_counts()
            result = pv_csv_import(reactions=path)
            if not result.ok:
                assert_problems_name_file_line_and_reason(result, path)
                assert row_counts() == before
            transaction.set_rollback(True)

    run()


def run_command(*args):
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError) as refused:
        call_command("import_pv_csv", *map(str, args), stdout=out, stderr=err)
    return str(refused.value), err.getvalue().splitlines()


def reaction_file(tmp_path, *rows, header=None, encoding="utf-8", bom=False):
    path = tmp_path / "reactions.csv"
    text = "\n".join([header or ",".join(HEADERS["reactions"][:10]), *rows]) + "\n"
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode(encoding))
    return path


ROW = "R-1,P-001,anakinra,2025-02-01,2025-02-10,mild,1,erythema,,recovered"


@pytest.mark.parametrize("make, line, field, reason", [
    (lambda p: reaction_file(p, ROW, header="reaction_ref,patient,product_code"), 1, "header", "missing column(s)"),
    (lambda p: reaction_file(p, ROW, header=",".join(HEADERS["reactions"][:10]) + ",colour"), 1, "header",
     "unknown column(s) 'colour'"),
    (lambda p: reaction_file(p, ROW, ROW.replace("R-1", "R-2").replace("erythema", "rötung"), encoding="latin-1"),
     3, "file", "not valid UTF-8"),
    (lambda p: reaction_file(p, ROW, ROW), 3, "reaction_ref", "appears twice in the file (first on line 2)"),
    (lambda p: reaction_file(p, ROW, ROW.replace("R-1", "R-2").replace("mild", "=1+1"), bom=True), 3, "severity",
     ""),
    (lambda p: reaction_file(p, *[ROW.replace("R-1", f"R-{n}") for n in range(20)]), 1, "file",
     "the largest file accepted is 1,000 bytes"),
])
def test_the_command_refuses_bad_files_naming_file_line_and_reason(tmp_path, exposure, settings, make, line, field,
                                                                   reason):
    settings.IMPORT_MAX_FILE_BYTES = 1000
    path = make(tmp_path)
    before = row_counts()
    message, errors = run_command("--reactions", path)
    assert "nothing was written" in message
    prefix = f"{path}:{line}: {field}: "
    assert any(error.startswith(prefix) and reason in error for error in errors), errors
    assert row_counts() == before


def test_a_refused_import_exits_non_zero_from_the_shell(tmp_path):
    """manage.py turns the CommandError into exit status 1 and the problems into stderr lines."""
    path = reaction_file(tmp_path, ROW, header="reaction_ref")
    env = {**os.environ, "PV_VAR_DIR": str(tmp_path / "var"), "DATABASE_URL": f"sqlite:///{tmp_path / 'none.db'}"}
    done = subprocess.run([sys.executable, "manage.py", "import_pv_csv", "--reactions", str(path)],
                          cwd=django_settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert f"{path}:1: header: missing column(s)" in done.stderr
    assert "nothing was written" in done.stderr
