"""A database error at the last write of a service rolls the whole service back: no partial
rows, no history rows. The error is real: a trigger makes the database refuse the row
(an IntegrityError on SQLite and PostgreSQL alike), nothing is mocked."""
from contextlib import contextmanager
from datetime import date

import pytest
from django.db import IntegrityError, connection

from apps.imports.services import pv_csv_import
from apps.reactions.models import InjectionSiteReaction
from apps.reactions.services import reaction_create, reaction_update
from apps.reports import services as report_services
from apps.reports.models import AggregateReport, ReportStatus
from tests.factories import ExposurePeriodFactory, PatientFactory, ReactionFactory, SiteFactory, anakinra

from .conftest import row_counts

# Committed transactions, as in production: the services' atomic blocks are the outermost ones.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

HISTORY = "reactions_historicalinjectionsitereaction"


@contextmanager
def database_refuses(table, event, condition):
    """A trigger that makes the database refuse `event` (INSERT/UPDATE) rows of `table` matching `condition`."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("CREATE FUNCTION pv_test_refuse() RETURNS trigger AS $$ BEGIN "
                           "RAISE EXCEPTION 'refused by the test trigger' USING ERRCODE = 'check_violation'; "
                           "END $$ LANGUAGE plpgsql")
            cursor.execute(f"CREATE TRIGGER pv_test_refuse BEFORE {event} ON {table} FOR EACH ROW "
                           f"WHEN ({condition}) EXECUTE FUNCTION pv_test_refuse()")
        else:
            cursor.execute(f"CREATE TRIGGER pv_test_refuse BEFORE {event} ON {table} FOR EACH ROW "
                           f"WHEN {condition} BEGIN SELECT RAISE(ABORT, 'refused by the test trigger'); END")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(f"DROP TRIGGER pv_test_refuse ON {table}")
                cursor.execute("DROP FUNCTION pv_test_refuse()")
            else:
                cursor.execute("DROP TRIGGER pv_test_refuse")


@pytest.fixture
def exposed():
    site = SiteFactory(code="site-01")
    patient = PatientFactory(site=site, patient_ref="P-001")
    ExposurePeriodFactory(patient=patient, product=anakinra(), start_date=date(2025, 1, 1))
    return patient


def test_a_refused_history_row_undoes_the_reaction_insert(exposed):
    before = row_counts()
    with database_refuses(HISTORY, "INSERT", "NEW.reaction_ref = 'R-BOOM'"), pytest.raises(IntegrityError):
        reaction_create(reaction_ref="R-BOOM", patient=exposed, product=anakinra(), onset_date=date(2025, 2, 1),
                        severity="mild", symptoms=["erythema"], outcome="not_recovered")
    assert row_counts() == before
    assert not InjectionSiteReaction.objects.filter(reaction_ref="R-BOOM").exists()


def test_a_refused_history_row_undoes_the_reaction_update(exposed):
    reaction = ReactionFactory(patient=exposed, reaction_ref="R-1", severity="mild", status="draft")
    before = row_counts()
    with database_refuses(HISTORY, "INSERT", "NEW.severity = 'severe'"), pytest.raises(IntegrityError):
        reaction_update(reaction=reaction, expected_version=reaction.version, severity="severe")
    assert row_counts() == before
    reaction.refresh_from_db()
    assert reaction.severity == "mild" and reaction.version == 1


def test_a_refused_last_row_undoes_the_whole_import(tmp_path, exposed):
    patients = tmp_path / "patients.csv"
    patients.write_text("patient_ref,site,sex,birth_year\nP-NEW,site-03,female,1970\n")
    exposures = tmp_path / "exposures.csv"
    exposures.write_text("patient_ref,product_code,start_date,end_date,dose_mg_per_day,route,lot_number\n"
                         "P-NEW,anakinra,2025-01-01,,100,subcutaneous,LOT-1\n")
    reactions = tmp_path / "reactions.csv"
    reactions.write_text("reaction_ref,patient_ref,product_code,onset_date,resolution_date,severity,ctcae_grade,"
                         "symptoms,seriousness,outcome\n"
                         "R-1,P-NEW,anakinra,2025-02-01,2025-02-10,mild,1,erythema,,recovered\n"
                         "R-BOOM,P-001,anakinra,2025-02-01,2025-02-10,mild,1,erythema,,recovered\n")
    before = row_counts()
    with database_refuses(HISTORY, "INSERT", "NEW.reaction_ref = 'R-BOOM'"):
        result = pv_csv_import(patients=patients, exposures=exposures, reactions=reactions)
    assert not result.ok and not result.written
    [problem] = result.errors
    assert str(problem).startswith("database: write: refused the import, nothing was written: "
                                   "refused by the test trigger")
    assert row_counts() == before  # no site-03, no patient, no exposure, no reaction, no history
    assert result.sites_created == []


def test_a_refused_final_write_of_a_report_stores_no_results(exposed):
    ReactionFactory(patient=exposed, reaction_ref="R-1", onset_date=date(2025, 2, 1))
    report = report_services.report_request(product=anakinra(), as_of=date(2025, 6, 30), queue=False)
    before = row_counts()
    with database_refuses("reports_aggregatereport", "UPDATE", "NEW.status = 'done'"):
        report = report_services.report_run(report_id=report.pk)
    assert row_counts() == before
    report.refresh_from_db()
    assert report.status == ReportStatus.FAILED and "refused by the test trigger" in report.error
    assert report.results is None and report.details is None and report.data_fingerprint == ""
    assert not AggregateReport.objects.filter(status=ReportStatus.DONE).exists()
