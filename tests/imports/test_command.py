from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from apps.reactions.models import InjectionSiteReaction

from .helpers import EXPOSURE, REACTION, snapshot, write_csv

pytestmark = pytest.mark.django_db


def run(*args):
    out, err = StringIO(), StringIO()
    try:
        call_command("import_pv_csv", *map(str, args), stdout=out, stderr=err)
    except CommandError as exc:
        return out.getvalue(), err.getvalue(), exc
    return out.getvalue(), err.getvalue(), None


def test_it_imports_the_files_and_prints_a_summary(tmp_path, product):
    patients = write_csv(tmp_path, "patients", "P-001,site-03,female,1970")
    exposures = write_csv(tmp_path, "exposures", EXPOSURE)
    reactions = write_csv(tmp_path, "reactions", REACTION)

    out, err, exc = run("--patients", patients, "--exposures", exposures, "--reactions", reactions)

    assert exc is None, err
    assert out.splitlines() == [
        f"{patients}: 1 created, 0 updated, 0 unchanged",
        f"{exposures}: 1 created, 0 updated, 0 unchanged",
        f"{reactions}: 1 created, 0 updated, 0 unchanged",
        "sites created: site-03",
    ]


def test_it_prints_every_bad_row_to_stderr_and_fails(tmp_path, exposure):
    before = snapshot()
    reactions = write_csv(tmp_path, "reactions", REACTION,
                          "R-2,P-001,anakinra,2025-02-01,2025-01-01,mild,1,pain,,recovered",
                          "R-3,P-404,anakinra,2025-02-01,2025-02-02,mild,1,pain,,recovered")

    out, err, exc = run("--reactions", reactions)

    assert exc is not None and "nothing was written" in str(exc)
    assert err.splitlines() == [
        f"{reactions}:3: resolution_date: The resolution date is before the onset date.",
        f"{reactions}:4: patient_ref: unknown patient 'P-404'; add it to the patients file or enter it first",
    ]
    assert snapshot() == before


def test_it_prints_the_dry_run_summary_and_writes_nothing(tmp_path, exposure):
    reactions = write_csv(tmp_path, "reactions", REACTION)
    out, err, exc = run("--reactions", reactions, "--dry-run")
    assert exc is None, err
    assert out.splitlines() == [f"{reactions}: 1 created, 0 updated, 0 unchanged",
                                "Dry run: everything was validated and nothing was written."]
    assert not InjectionSiteReaction.objects.exists()


def test_it_passes_confirm_duplicates_on(tmp_path, exposure):
    reactions = write_csv(tmp_path, "reactions", REACTION, REACTION.replace("R-1", "R-2"))
    assert run("--reactions", reactions)[2] is not None
    out, err, exc = run("--reactions", reactions, "--confirm-duplicates")
    assert exc is None, err
    assert InjectionSiteReaction.objects.count() == 2


def test_it_prints_late_onset_warnings(tmp_path, patient, product):
    from datetime import date

    from tests.factories import ExposurePeriodFactory
    ExposurePeriodFactory(patient=patient, product=product, start_date=date(2025, 1, 1), end_date=date(2025, 1, 10))
    reactions = write_csv(tmp_path, "reactions", REACTION.replace("2025-02-01,2025-02-10", "2025-03-01,2025-03-03"))
    out, err, exc = run("--reactions", reactions)
    assert exc is None, err
    assert f"{reactions}:2: onset_date: onset more than 30 days" in out
    assert "1 flagged late onset" in out


def test_it_records_the_named_user(tmp_path, exposure, reporter):
    out, err, exc = run("--reactions", write_csv(tmp_path, "reactions", REACTION), "--user", "reporter-01")
    assert exc is None, err
    assert InjectionSiteReaction.objects.get().history.get().history_user == reporter


def test_it_refuses_an_unknown_user(tmp_path, exposure):
    out, err, exc = run("--reactions", write_csv(tmp_path, "reactions", REACTION), "--user", "nobody")
    assert "--user: no user named 'nobody'" in str(exc)


def test_it_asks_for_at_least_one_file(db):
    assert "Give at least one of --patients, --exposures, --reactions" in str(run()[2])


def test_it_reports_a_missing_file(tmp_path, db):
    missing = tmp_path / "nope.csv"
    out, err, exc = run("--patients", missing)
    assert exc is not None
    assert err.startswith(f"{missing}: file: cannot be opened: No such file or directory")


def test_its_help_documents_the_formats_and_the_site_rule():
    from apps.imports.management.commands.import_pv_csv import Command
    text = Command().create_parser("manage.py", "import_pv_csv").format_help()
    assert "  patients:  patient_ref,site,sex,birth_year\n" in text  # line breaks kept
    assert "when the same ref exists at several sites the row must\nfill in the optional 'site' column" in text


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_command_runs_no_system_checks_and_imports_no_heavy_library(tmp_path):
    """Its fixed cost before the first row: no URLconf (system checks), no scipy, reportlab or lxml."""
    import os
    import subprocess
    import sys

    from django.conf import settings

    from tests.reports.conftest import worker_database_url

    patients = write_csv(tmp_path, "patients", "P-001,site-03,female,1970")
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "manage.py", "import_pv_csv", "--patients", str(patients), "--dry-run"],
        cwd=settings.BASE_DIR, env={**os.environ, "DATABASE_URL": worker_database_url()},
        capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "1 created" in result.stdout
    imported = {line.split("|")[-1].strip() for line in result.stderr.splitlines() if line.startswith("import time:")}
    heavy = {name for name in imported
             if name.split(".")[0] in ("scipy", "reportlab", "xhtml2pdf", "lxml", "openpyxl", "numpy")}
    assert not heavy, sorted(heavy)
    assert "pv_tracker.urls" not in imported and not any(name.startswith("apps.") and name.endswith(".views")
                                                         for name in imported)
