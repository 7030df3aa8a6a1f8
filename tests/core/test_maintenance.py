"""Fresh data is fast data: a committed bulk import refreshes the planner statistics of the tables it wrote
(ANALYZE on both backends, PRAGMA optimize on SQLite) and asks for the stored figures to be refreshed."""
from datetime import date, timedelta

import pytest
from django.core.cache import cache
from django.db import connection

from apps.core.maintenance import refresh_planner_statistics, tables_of
from apps.core.tasks import refresh_planner_statistics_task
from apps.imports.services import pv_csv_import
from apps.reactions.models import InjectionSiteReaction
from apps.summaries import snapshots

pytestmark = pytest.mark.django_db

TABLE = InjectionSiteReaction._meta.db_table


def planner_rows(table):
    """What the planner believes about `table`: SQLite's sqlite_stat1 row count, PostgreSQL's reltuples."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE name = 'sqlite_stat1'")
            if cursor.fetchone() is None:
                return None
            cursor.execute("SELECT stat FROM sqlite_stat1 WHERE tbl = %s AND idx IS NOT NULL", [table])
            row = cursor.fetchone()
            return None if row is None else int(row[0].split()[0])
        cursor.execute("SELECT reltuples FROM pg_class WHERE relname = %s", [table])
        value = cursor.fetchone()[0]
        return None if value < 0 else int(value)


def forget_statistics(table):
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE name = 'sqlite_stat1'")
            if cursor.fetchone():
                cursor.execute("DELETE FROM sqlite_stat1 WHERE tbl = %s", [table])
        else:
            cursor.execute("UPDATE pg_class SET reltuples = -1 WHERE relname = %s", [table])


def import_files(tmp_path, reactions):
    (tmp_path / "p.csv").write_text("patient_ref,site,sex,birth_year\nP-1,site-01,female,1970\n")
    (tmp_path / "e.csv").write_text("patient_ref,product_code,start_date,end_date,dose_mg_per_day,route,lot_number\n"
                                    "P-1,anakinra,2026-01-01,,100,subcutaneous,L1\n")
    lines = ["reaction_ref,patient_ref,product_code,onset_date,resolution_date,severity,ctcae_grade,symptoms,"
             "seriousness,outcome"]
    lines += [f"R-{n},P-1,anakinra,{date(2026, 1, 2) + timedelta(days=n)},2026-06-01,mild,1,erythema,,recovered"
              for n in range(reactions)]
    (tmp_path / "r.csv").write_text("\n".join(lines) + "\n")
    return pv_csv_import(patients=tmp_path / "p.csv", exposures=tmp_path / "e.csv", reactions=tmp_path / "r.csv")


def test_a_committed_import_refreshes_the_statistics_of_what_it_wrote(site, product, tmp_path,
                                                                      django_capture_on_commit_callbacks):
    forget_statistics(TABLE)
    assert planner_rows(TABLE) is None
    cache.delete(snapshots.QUEUED_KEY)
    with django_capture_on_commit_callbacks(execute=True):
        assert import_files(tmp_path, 30).ok
    assert planner_rows(TABLE) == 30
    assert cache.get(snapshots.QUEUED_KEY)  # the stored figures were asked to refresh


def test_a_refused_or_dry_run_import_refreshes_nothing(site, product, tmp_path, django_capture_on_commit_callbacks):
    forget_statistics(TABLE)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        (tmp_path / "p.csv").write_text("patient_ref,site,sex,birth_year\nP-1,site-01,nobody,1970\n")
        assert not pv_csv_import(patients=tmp_path / "p.csv").ok
    assert callbacks == [] and planner_rows(TABLE) is None


def test_the_scheduled_task_analyzes_every_table(site, product, tmp_path):
    assert import_files(tmp_path, 12).ok  # inside the test transaction: no commit, so no automatic ANALYZE
    forget_statistics(TABLE)
    refresh_planner_statistics_task.apply()
    assert planner_rows(TABLE) == 12


def test_tables_of_names_the_history_tables_too():
    assert tables_of(InjectionSiteReaction) == [TABLE, "reactions_historicalinjectionsitereaction"]
    refresh_planner_statistics([TABLE])  # a named table is accepted on this backend
