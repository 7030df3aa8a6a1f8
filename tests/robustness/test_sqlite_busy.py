"""SQLite, the embedded default, has one writer at a time: a web write during a long command-line import
waits briefly and then either succeeds or gets a clear "try again" page (503), never a 500."""
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection
from django.urls import reverse

from apps.patients.models import Patient
from tests.imports.helpers import write_csv

ROOT = Path(__file__).resolve().parents[2]
IMPORT_PATIENTS = 60_000  # enough rows that the import holds the database for seconds

pytestmark = [pytest.mark.django_db(transaction=True),
              pytest.mark.skipif("os.environ.get('DATABASE_URL', 'sqlite').split(':')[0] != 'sqlite'",
                                 reason="SQLite's single writer; PostgreSQL writers do not block each other")]


def wait_until_the_import_holds_the_database(path, process, limit=120):
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()
        probe = sqlite3.connect(path, timeout=0)
        try:
            probe.execute("BEGIN IMMEDIATE")
            probe.rollback()
        except sqlite3.OperationalError as exc:
            assert "locked" in str(exc)
            return
        finally:
            probe.close()
        time.sleep(0.02)
    pytest.fail("the import never took the write lock")


def patient_form(ref, site):
    return {"site": site.pk, "patient_ref": ref, "sex": "female", "birth_year": "1970"}


def test_a_web_write_during_an_import_waits_then_succeeds_or_is_asked_to_try_again(client, reporter, site,
                                                                                      tmp_path):
    path = connection.settings_dict["NAME"]
    rows = [f"P-IMP-{n:06d},site-01,female,1960" for n in range(IMPORT_PATIENTS)]
    patients = write_csv(tmp_path, "patients", *rows)
    client.force_login(reporter)  # before the import: a login writes a new session
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{path}", "DEBUG": "true"}
    process = subprocess.Popen([sys.executable, "manage.py", "import_pv_csv", "--patients", str(patients)],
                               cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_until_the_import_holds_the_database(path, process)
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA busy_timeout = 300")  # the import holds the database for longer
        response = client.post(reverse("patients:create"), patient_form("P-WEB-1", site))
        assert response.status_code == 503 and response["Retry-After"]
        assert "try again" in response.content.decode() and "Nothing was saved" in response.content.decode()
        # Reads go on meanwhile (WAL), and so do pages that would touch the session.
        assert client.get(reverse("patients:list")).status_code == 200
        assert not Patient.objects.filter(patient_ref="P-WEB-1").exists()

        with connection.cursor() as cursor:
            cursor.execute("PRAGMA busy_timeout = 120000")  # long enough for the import to finish
        response = client.post(reverse("patients:create"), patient_form("P-WEB-2", site))
        assert response.status_code == 302
    finally:
        stdout, stderr = process.communicate(timeout=600)
    assert process.returncode == 0, stderr
    assert Patient.objects.filter(patient_ref__startswith="P-IMP-").count() == IMPORT_PATIENTS
    assert Patient.objects.filter(patient_ref="P-WEB-2").exists()
