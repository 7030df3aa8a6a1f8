"""The web import: upload checks, the job a worker runs, progress and outcome, access."""
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st

from apps.imports.jobs import import_job_run, import_progress, progress_cache
from apps.imports.models import ImportJob
from tests.imports.helpers import EXPOSURE, HEADERS, REACTION, snapshot

pytestmark = pytest.mark.django_db


def csv_file(kind, *rows, header=None, name=None, encoding="utf-8"):
    text = "\n".join([HEADERS[kind] if header is None else header, *rows]) + "\n"
    return SimpleUploadedFile(name or f"{kind}.csv", text.encode(encoding), content_type="text/csv")


def upload(client, **fields):
    return client.post(reverse("imports:upload"), fields)


def test_a_good_upload_is_queued_then_imported_with_its_counts(client, reporter, site, product):
    client.force_login(reporter)
    response = upload(client, patients=csv_file("patients", "P-001,site-01,female,1960", "P-002,site-01,male,1970"),
                      exposures=csv_file("exposures", EXPOSURE), reactions=csv_file("reactions", REACTION))
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("imports:detail", args=[job.pk])
    assert (job.status, job.rows_total, job.created_by) == ("queued", 4, reporter)
    assert snapshot()["Patient"] == 0  # nothing before the worker runs

    job = import_job_run(job_id=job.pk)
    assert job.status == "done" and job.errors == []
    assert "patients.csv: 2 created, 0 updated, 0 unchanged" in job.summary
    assert snapshot()["Patient"] == 2 and snapshot()["InjectionSiteReaction"] == 1
    page = client.get(reverse("imports:detail", args=[job.pk])).content.decode()
    assert "patients.csv: 2 created" in page and 'http-equiv="refresh"' not in page
    assert import_progress(job) == {"checked": 4, "written": 4, "total": 4}
    assert import_job_run(job_id=job.pk).status == "done"  # a redelivered message does nothing


def test_one_bad_row_refuses_the_whole_upload_with_file_line_field_reason(client, reporter, site, product):
    client.force_login(reporter)
    upload(client, patients=csv_file("patients", "P-001,site-01,female,1960", "P-002,site-01,male,1850"))
    before = snapshot()
    job = import_job_run(job_id=ImportJob.objects.get().pk)
    assert job.status == "refused"
    assert len(job.errors) == 1 and job.errors[0].startswith("patients.csv:3: birth_year: Birth year must be")
    assert snapshot() == before
    page = client.get(reverse("imports:detail", args=[job.pk])).content.decode()
    assert "patients.csv:3: birth_year:" in page and "Nothing was written" in page


def test_a_dry_run_checks_everything_and_writes_nothing(client, reporter, site):
    client.force_login(reporter)
    upload(client, patients=csv_file("patients", "P-001,site-01,female,1960"), dry_run="on")
    job = import_job_run(job_id=ImportJob.objects.get().pk)
    assert job.status == "checked" and snapshot()["Patient"] == 0
    assert any("Dry run" in line for line in job.summary)


def test_a_reporter_imports_only_their_own_site(client, reporter, site, other_site):
    client.force_login(reporter)
    upload(client, patients=csv_file("patients", "P-009,site-02,female,1960"))
    job = import_job_run(job_id=ImportJob.objects.get().pk)
    assert job.status == "refused" and "own site" in job.errors[0]
    assert snapshot()["Patient"] == 0


@pytest.mark.parametrize("make,expected", [
    (lambda: csv_file("patients", "P-001,site-01,female,1960", encoding="utf-16"), "UTF-8"),
    (lambda: csv_file("patients", "P-001,site-01", header="patient_ref,site"), "sex"),
    (lambda: SimpleUploadedFile("patients.csv", b"\n"), "header"),
])
def test_bad_files_get_a_clear_message_and_nothing_is_queued(client, reporter, site, make, expected):
    client.force_login(reporter)
    response = upload(client, patients=make())
    assert response.status_code == 400 and not ImportJob.objects.exists()
    errors = " ".join(response.context["form"].errors["patients"])
    assert errors.startswith("patients.csv") and expected.lower() in errors.lower(), errors


def test_an_oversize_upload_is_refused(client, reporter, site, settings):
    settings.IMPORT_UPLOAD_MAX_BYTES = 40
    client.force_login(reporter)
    response = upload(client, patients=csv_file("patients", *[f"P-{n:03d},site-01,female,1960" for n in range(5)]))
    assert response.status_code == 400 and not ImportJob.objects.exists()
    assert "largest upload accepted is 40 bytes" in " ".join(response.context["form"].errors["patients"])


def test_no_file_is_a_form_error(client, reporter):
    client.force_login(reporter)
    response = upload(client, dry_run="on")
    assert response.status_code == 400 and "at least one file" in response.content.decode()


def test_progress_is_read_from_the_shared_cache_while_running(reporter):
    job = ImportJob.objects.create(created_by=reporter, status="running", rows_total=10)
    progress_cache().set(f"import-progress:{job.pk}", {"checked": 4, "written": 2})
    assert import_progress(job) == {"checked": 4, "written": 2, "total": 10}


def test_site_users_see_only_their_own_imports(client, reporter, other_reporter, reviewer):
    job = ImportJob.objects.create(created_by=reporter)
    client.force_login(other_reporter)
    assert client.get(reverse("imports:detail", args=[job.pk])).status_code == 404
    client.force_login(reviewer)
    assert client.get(reverse("imports:detail", args=[job.pk])).status_code == 200


@hsettings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(content=st.binary(max_size=300) | st.text(max_size=300).map(lambda t: t.encode("utf-8")))
def test_any_uploaded_bytes_never_fail_and_never_half_write(client, reporter, site, content):
    client.force_login(reporter)
    before = snapshot()
    response = upload(client, patients=SimpleUploadedFile("patients.csv", content))
    assert response.status_code in (302, 400)
    for job in ImportJob.objects.filter(status="queued"):
        job = import_job_run(job_id=job.pk)
        assert job.status in ("done", "refused")
        if job.status == "refused":
            assert snapshot() == before
