#!/usr/bin/env python
"""pv-tracker benchmark: one database backend per run, on a database of its own.

    python bench/run.py --db sqlite --patients 100000
    python bench/run.py --db postgresql --patients 100000

Steps: fresh database (var/bench/sqlite/db.sqlite3, or PostgreSQL database `pv_bench`,
dropped and re-created), migrate, load the cohort — by default with the CSV importer, as a user
would (`--load import`: the generator writes the files, `pv_csv_import` loads them; no manual
ANALYZE: the import refreshes the planner statistics itself), or with the generator's raw bulk
insert (`--load generate`) — then measure the summary pages and the dashboard on that fresh data
(first request right after the import, the refresh task, and cold after a write), the aggregate
report, every summary, dashboard and listing page (server time through the Django test Client,
p50/p95 over repeated requests, query counts), the CSV import (rows per second) and the peak
memory. Each time is printed beside a floor measured in the same run: hand-written SQL
computing the same counts (or, for the import, the raw bulk insert of the generator).
Results go to bench/results/<date>-<db>.json; docs/performance.md explains the method.
"""
import argparse
import csv
import json
import os
import platform
import statistics
import sys
import tempfile
import time
import tracemalloc
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from common import use_fresh_database  # noqa: E402  (bench/common.py, beside this script)

TARGETS = {
    "report_seconds": 10.0, "report_floor_ratio": 2.0, "page_p95_ms": 200.0, "page_queries": 15,
    "import_rows_per_second_postgresql": 20000,
    # Summary pages and dashboard, cold after a write on freshly imported data, as superuser.
    "fresh_cold_floor_ratio": 0.1, "fresh_superuser_queries": 12,
}
FRESH_PAGES = ("dashboard", "summaries-index", *(f"summary:{slug}" for slug in (
    "incidence-by-site", "incidence-by-month", "incidence-by-dose", "severity", "ctcae-grade", "symptoms",
    "duration", "exposure")))


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=("sqlite", "postgresql"), required=True)
    parser.add_argument("--patients", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--fresh-only", action="store_true",
                        help="Measure only the floors and the fresh-data pages (summaries, dashboard), then stop.")
    parser.add_argument("--existing", action="store_true",
                        help="Reuse the cohort a previous run loaded into this run's database instead of a fresh one "
                             "(its planner statistics are those the import left: still no manual ANALYZE).")
    parser.add_argument("--load", choices=("import", "generate"), default="import",
                        help="Load the cohort with the CSV importer (default) or the generator's bulk insert.")
    parser.add_argument("--repeat", type=int, default=20, help="Requests per page (after one warm-up).")
    parser.add_argument("--report-repeat", type=int, default=3)
    parser.add_argument("--import-patients", type=int, default=None,
                        help="Patients in the CSV import files (default: a twentieth of --patients, at most 5,000).")
    parser.add_argument("--postgres-url", default=os.environ.get("BENCH_POSTGRES_URL",
                                                                 "postgres://postgres@127.0.0.1:5432/pv_bench"))
    parser.add_argument("--results-dir", default=str(ROOT / "bench" / "results"))
    return parser.parse_args()


def configure_environment(args):
    """A fresh database for this run only (or, with --existing, the one the last run loaded); never the dev or
    test database."""
    use_fresh_database(args.db, ROOT / "var" / "bench" / args.db, args.postgres_url, keep=args.existing)


def timed(function, repeat):
    """(median seconds, all timings, last result)."""
    timings, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = function()
        timings.append(time.perf_counter() - started)
    return statistics.median(timings), timings, result


def percentile(values, share):
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))
    return ordered[index]


def peak_rss_mb():
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# --- Hand-written SQL floors -------------------------------------------------------------------

def floor_sql(vendor, product_id, as_of):
    """One hand-written query per figure, computing the same counts as the page or report."""
    d = f"'{as_of.isoformat()}'"
    if vendor == "postgresql":
        days = lambda end, start: f"({end} - {start})"  # noqa: E731
        month = "date_trunc('month', first_start)"
    else:
        days = lambda end, start: f"CAST(julianday({end}) - julianday({start}) AS INTEGER)"  # noqa: E731
        month = "substr(first_start, 1, 7)"
    live_exposure = (f"e.product_id = {product_id} AND e.voided_at IS NULL AND e.start_date <= {d}")
    counted = f"r.product_id = {product_id} AND r.voided_at IS NULL AND r.onset_date <= {d}"
    cohort = f"""
        SELECT p.id, p.site_id,
               EXISTS (SELECT 1 FROM reactions_injectionsitereaction r WHERE r.patient_id = p.id AND {counted}) AS has_isr
        FROM patients_patient p
        WHERE p.voided_at IS NULL
          AND EXISTS (SELECT 1 FROM exposures_exposureperiod e WHERE e.patient_id = p.id AND {live_exposure})"""
    first = f"""
        SELECT p.id,
               (SELECT e.start_date FROM exposures_exposureperiod e WHERE e.patient_id = p.id AND {live_exposure}
                ORDER BY e.start_date, e.id LIMIT 1) AS first_start,
               (SELECT e.dose_mg_per_day FROM exposures_exposureperiod e WHERE e.patient_id = p.id AND {live_exposure}
                ORDER BY e.start_date, e.id LIMIT 1) AS first_dose,
               EXISTS (SELECT 1 FROM reactions_injectionsitereaction r WHERE r.patient_id = p.id AND {counted}) AS has_isr
        FROM patients_patient p
        WHERE p.voided_at IS NULL
          AND EXISTS (SELECT 1 FROM exposures_exposureperiod e WHERE e.patient_id = p.id AND {live_exposure})"""
    reactions = f"""FROM reactions_injectionsitereaction r JOIN patients_patient p ON p.id = r.patient_id
        WHERE {counted} AND p.voided_at IS NULL"""
    is_true = "has_isr" if vendor == "postgresql" else "has_isr = 1"
    resolved = f"r.resolution_date IS NOT NULL AND r.resolution_date <= {d}"
    duration = days("r.resolution_date", "r.onset_date") + " + 1"
    clipped_end = f"CASE WHEN e.end_date IS NULL OR e.end_date > {d} THEN {d} ELSE e.end_date END"
    if vendor == "postgresql":
        clipped_end = f"LEAST(COALESCE(e.end_date, DATE {d}), DATE {d})"
    symptoms = ", ".join(f"SUM(CASE WHEN r.symptoms LIKE '%,{code},%' THEN 1 ELSE 0 END)"
                         for code in ("erythema", "bruising", "inflammation", "pain", "swelling", "pruritus", "other"))
    severities = ", ".join(f"SUM(CASE WHEN r.severity = '{level}' THEN 1 ELSE 0 END)"
                           for level in ("mild", "moderate", "severe"))
    grades = ", ".join(f"SUM(CASE WHEN r.ctcae_grade = {grade} THEN 1 ELSE 0 END)" for grade in range(1, 6)) \
        + ", SUM(CASE WHEN r.ctcae_grade IS NULL THEN 1 ELSE 0 END)"
    queries = {
        "incidence-by-site": f"SELECT site_id, COUNT(*), SUM(CASE WHEN {is_true} THEN 1 ELSE 0 END) FROM ({cohort}) c GROUP BY site_id",
        "incidence-by-month": f"SELECT {month}, COUNT(*), SUM(CASE WHEN {is_true} THEN 1 ELSE 0 END) FROM ({first}) c GROUP BY 1",
        "incidence-by-dose": f"SELECT first_dose, COUNT(*), SUM(CASE WHEN {is_true} THEN 1 ELSE 0 END) FROM ({first}) c GROUP BY 1",
        # One pass with conditional aggregates: faster than GROUP BY severity here (no sort of a million rows).
        "severity": f"""SELECT COUNT(*), {severities}, COUNT(DISTINCT r.patient_id),
                COUNT(DISTINCT CASE WHEN r.severity IN ('moderate', 'severe') THEN r.patient_id END),
                COUNT(DISTINCT CASE WHEN r.severity = 'severe' THEN r.patient_id END) {reactions}""",
        "ctcae-grade": f"SELECT COUNT(*), {grades} {reactions}",
        "symptoms": f"SELECT COUNT(*), {symptoms} {reactions}",
        "duration": f"""SELECT SUM(CASE WHEN {resolved} AND {duration} < 14 THEN 1 ELSE 0 END),
                SUM(CASE WHEN {resolved} AND {duration} BETWEEN 14 AND 28 THEN 1 ELSE 0 END),
                SUM(CASE WHEN {resolved} AND {duration} > 28 THEN 1 ELSE 0 END),
                SUM(CASE WHEN NOT ({resolved}) THEN 1 ELSE 0 END) {reactions}""",
        "exposure": f"""SELECT COUNT(*), SUM(CASE WHEN days >= 183 THEN 1 ELSE 0 END),
                SUM(CASE WHEN days >= 365 THEN 1 ELSE 0 END), SUM(days) FROM (
                SELECT e.patient_id, SUM({days(clipped_end, 'e.start_date')} + 1) AS days
                FROM exposures_exposureperiod e JOIN patients_patient p ON p.id = e.patient_id
                WHERE {live_exposure} AND p.voided_at IS NULL GROUP BY e.patient_id) x""",
        "reactions-list": f"""SELECT r.id, r.reaction_ref, r.onset_date, p.patient_ref, COUNT(*) OVER ()
                FROM reactions_injectionsitereaction r JOIN patients_patient p ON p.id = r.patient_id
                WHERE r.voided_at IS NULL ORDER BY r.onset_date DESC, r.reaction_ref LIMIT 25""",
        "patients-list": """SELECT p.id, p.patient_ref, s.code, COUNT(*) OVER () FROM patients_patient p
                JOIN accounts_site s ON s.id = p.site_id WHERE p.voided_at IS NULL ORDER BY s.code, p.patient_ref LIMIT 25""",
        "exposures-list": f"""SELECT e.id, e.start_date, p.patient_ref, COUNT(*) OVER () FROM exposures_exposureperiod e
                JOIN patients_patient p ON p.id = e.patient_id WHERE e.voided_at IS NULL
                ORDER BY e.start_date DESC, e.id LIMIT 25""",
        # The report's figures in one statement (see aggregate_report_floor).
        "aggregate-report": aggregate_report_floor(vendor, d, days, clipped_end, live_exposure, counted),
        # Only the report's core counts (the floor of the 2026-11-27 run): exposed, exposure days, 6/12 months,
        # ISR patients and events, patients with a severe ISR. It leaves out the duration grouping of every
        # reaction and the per-day groupings behind the Kaplan-Meier curves and the monthly series.
        "aggregate-report-core": f"""SELECT COUNT(*), SUM(days), SUM(CASE WHEN days >= 183 THEN 1 ELSE 0 END),
                SUM(CASE WHEN days >= 365 THEN 1 ELSE 0 END), SUM(events), SUM(CASE WHEN events > 0 THEN 1 ELSE 0 END),
                SUM(severe) FROM (
                  SELECT x.patient_id, x.days,
                    (SELECT COUNT(*) FROM reactions_injectionsitereaction r WHERE r.patient_id = x.patient_id AND {counted}) AS events,
                    CASE WHEN EXISTS (SELECT 1 FROM reactions_injectionsitereaction r WHERE r.patient_id = x.patient_id
                       AND {counted} AND r.severity = 'severe') THEN 1 ELSE 0 END AS severe
                  FROM (SELECT e.patient_id, SUM({days(clipped_end, 'e.start_date')} + 1) AS days
                        FROM exposures_exposureperiod e JOIN patients_patient p ON p.id = e.patient_id
                        WHERE {live_exposure} AND p.voided_at IS NULL GROUP BY e.patient_id) x) y""",
    }
    return queries


def aggregate_report_floor(vendor, d, days, clipped_end, live_exposure, counted):
    """Every figure the aggregate report computes, in one hand-written statement: per patient (exposure days,
    first start, last exposed day, first counted ISR, any severe), grouped by first start (entries, 6/12
    months), by time to first ISR (Kaplan-Meier) and by first-ISR day (monthly series); and every counted
    reaction grouped by duration (clipped to D), resolved by D and severity. Native date arithmetic; days are
    returned as day numbers so the UNION ALL has one type per column."""
    day = (lambda x: f"({x} - DATE '1970-01-01')") if vendor == "postgresql" \
        else (lambda x: f"CAST(julianday({x}) - 2440587.5 AS INTEGER)")  # noqa: E731
    as_of = f"DATE {d}" if vendor == "postgresql" else d
    resolved = f"r.resolution_date IS NOT NULL AND r.resolution_date <= {d}"
    return f"""WITH x AS (
              SELECT e.patient_id, SUM({days(clipped_end, 'e.start_date')} + 1) AS days, MIN(e.start_date) AS first_start,
                     MAX({clipped_end}) AS last_end
              FROM exposures_exposureperiod e JOIN patients_patient p ON p.id = e.patient_id
              WHERE {live_exposure} AND p.voided_at IS NULL GROUP BY e.patient_id),
            i AS (
              SELECT r.patient_id, MIN(r.onset_date) AS first_onset,
                     MAX(CASE WHEN r.severity = 'severe' THEN 1 ELSE 0 END) AS severe
              FROM reactions_injectionsitereaction r WHERE {counted} GROUP BY r.patient_id),
            pp AS (SELECT x.days, x.first_start, x.last_end, i.first_onset, COALESCE(i.severe, 0) AS severe
                   FROM x LEFT JOIN i ON i.patient_id = x.patient_id)
            SELECT 'e', {day('first_start')}, 0, COUNT(*), SUM(days), SUM(CASE WHEN days >= 183 THEN 1 ELSE 0 END),
                   SUM(CASE WHEN days >= 365 THEN 1 ELSE 0 END), '' FROM pp GROUP BY first_start
            UNION ALL
            SELECT 't', {days('COALESCE(first_onset, last_end)', 'first_start')} + 1,
                   CASE WHEN first_onset IS NULL THEN 0 ELSE 1 END, COUNT(*), SUM(severe), 0, 0, '' FROM pp GROUP BY 2, 3
            UNION ALL
            SELECT 'f', {day('first_onset')}, 0, COUNT(*), 0, 0, 0, '' FROM pp WHERE first_onset IS NOT NULL
            GROUP BY first_onset
            UNION ALL
            SELECT 'd', {days(f'CASE WHEN r.resolution_date IS NULL OR r.resolution_date > {d} THEN {as_of} ELSE r.resolution_date END', 'r.onset_date')} + 1,
                   CASE WHEN {resolved} THEN 1 ELSE 0 END, COUNT(*), 0, 0, 0, r.severity
            FROM reactions_injectionsitereaction r
            WHERE {counted} AND r.patient_id IN (SELECT patient_id FROM x) GROUP BY 2, 3, r.severity"""


def run_floor(name, sql):
    """The report's floors run under the report's planner settings (JIT off on PostgreSQL), the others as is."""
    if not name.startswith("aggregate-report"):
        return run_sql(sql)
    from apps.cohort.sql import without_jit

    with without_jit():
        return run_sql(sql)


def run_sql(sql):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchall()


# --- Steps -------------------------------------------------------------------------------------

def step_generate(args, out):
    from apps.demo.generator import generate_demo_data

    result = generate_demo_data(patients=args.patients, seed=args.seed, sites=10)
    out["data"] = {"patients": result.patients, "exposure_periods": result.periods, "reactions": result.reactions,
                   "generate_seconds": round(result.seconds, 2), "generate_rows_per_second": round(result.rows_per_second)}
    print(f"generated {result.patients:,} patients, {result.periods:,} periods, {result.reactions:,} reactions "
          f"in {result.seconds:.1f} s ({result.rows_per_second:,.0f} rows/s)")
    # No manual ANALYZE: the generator, like the importer, refreshes the planner statistics on commit.


def step_import_cohort(args, out):
    """The cohort loaded as a user would: CSV files through pv_csv_import (which ANALYZEs what it wrote)."""
    from apps.accounts.models import Site
    from apps.exposures.models import ExposurePeriod
    from apps.imports.services import pv_csv_import
    from apps.patients.models import Patient
    from apps.reactions.models import InjectionSiteReaction

    for number in range(1, 11):  # the generator's sites, as generate_demo_data creates them
        Site.objects.get_or_create(code=f"site-{number:02d}", defaults={"name": f"Demo clinic {number:02d}"})
    with tempfile.TemporaryDirectory() as directory:
        started = time.perf_counter()
        paths, rows = write_import_files(directory, args.patients, seed=args.seed)
        written = time.perf_counter() - started
        started = time.perf_counter()
        result = pv_csv_import(patients=paths["patients"], exposures=paths["exposures"], reactions=paths["reactions"])
        seconds = time.perf_counter() - started
    if not result.ok:
        sys.exit("The cohort import was refused: " + "; ".join(str(problem) for problem in result.errors[:5]))
    out["data"] = {"patients": Patient.objects.count(), "exposure_periods": ExposurePeriod.objects.count(),
                   "reactions": InjectionSiteReaction.objects.count(), "load": "pv_csv_import",
                   "import_seconds": round(seconds, 1), "import_rows_per_second": round(rows / seconds),
                   "write_files_seconds": round(written, 1)}
    print(f"imported {out['data']['patients']:,} patients, {out['data']['exposure_periods']:,} periods, "
          f"{out['data']['reactions']:,} reactions with pv_csv_import in {seconds:.1f} s "
          f"({rows / seconds:,.0f} rows/s); no manual ANALYZE")


def _bench_users():
    from django.contrib.auth.models import Group

    from apps.accounts.models import Site, User

    analyst, _ = User.objects.get_or_create(username="bench-analyst")
    analyst.groups.set([Group.objects.get(name="analyst")])
    reporter, _ = User.objects.get_or_create(username="bench-reporter",
                                             defaults={"site": Site.objects.get(code="site-01")})
    reporter.groups.set([Group.objects.get(name="reporter")])
    superuser, _ = User.objects.get_or_create(username="bench-admin", defaults={"is_superuser": True,
                                                                               "is_staff": True})
    return analyst, reporter, superuser


def _timed_request(client, url):
    """(seconds, queries, status) of one request."""
    from django.db import connection

    queries = []
    with connection.execute_wrapper(lambda execute, sql, *rest: queries.append(sql) or execute(sql, *rest)):
        started = time.perf_counter()
        response = client.get(url, secure=True)
        seconds = time.perf_counter() - started
    return seconds, len(queries), response.status_code


def _a_write(number):
    """One ordinary write through the services: a new reaction of an exposed patient (moves the data stamp)."""
    from apps.core.models import today
    from apps.exposures.models import ExposurePeriod
    from apps.reactions.services import reaction_create

    period = (ExposurePeriod.objects.filter(voided_at__isnull=True, end_date__isnull=True)
              .select_related("patient", "product").order_by("id")[number])
    reaction_create(reaction_ref=f"BENCH-WRITE-{number}-{time.time_ns()}", patient=period.patient, product=period.product,
                    onset_date=today(), severity="mild", symptoms=["erythema"], outcome="not_recovered",
                    confirm_duplicate=True)


def step_fresh_pages(args, out, floors):
    """Summary pages and dashboard on the freshly loaded data, as superuser: (1) the first request right after
    the load, before the refresh task stored any figure (counted from the rows); (2) the refresh task; (3) cold
    after a write (cache emptied): the stored figures, older than the data, are shown with their time."""
    from django.core.cache import cache
    from django.test import Client

    from apps.summaries.models import FigureSnapshot
    from apps.summaries.snapshots import refresh_figures

    _, _, superuser = _bench_users()
    client = Client()
    client.force_login(superuser)
    urls = page_urls()
    fresh = {}
    FigureSnapshot.objects.all().delete()
    for name in FRESH_PAGES:
        cache.clear()
        seconds, queries, status = _timed_request(client, urls[name])
        fresh[name] = {"after_load_ms": round(seconds * 1000, 1), "after_load_queries": queries,
                       "after_load_status": status}
    started = time.perf_counter()
    written = refresh_figures()
    refresh_seconds = time.perf_counter() - started
    for number, name in enumerate(FRESH_PAGES):
        _a_write(number)
        cache.clear()
        seconds, queries, status = _timed_request(client, urls[name])
        floor = page_floor(name, floors)
        ratio = round(seconds / floor, 3) if floor else None
        fresh[name].update({
            "cold_after_write_ms": round(seconds * 1000, 1), "cold_after_write_queries": queries, "status": status,
            "floor_sql_ms": None if floor is None else round(floor * 1000, 1), "cold_ratio_to_floor": ratio,
            "after_load_ratio_to_floor": round(fresh[name]["after_load_ms"] / 1000 / floor, 2) if floor else None,
            "within_targets": status == 200 and ratio is not None and ratio <= TARGETS["fresh_cold_floor_ratio"]
            and queries <= TARGETS["fresh_superuser_queries"]})
        row = fresh[name]
        print(f"fresh {name:28s} after load {row['after_load_ms']:9.1f} ms {row['after_load_queries']:3d} q | "
              f"cold after a write {row['cold_after_write_ms']:7.1f} ms {queries:3d} q | floor "
              f"{row['floor_sql_ms']:9.1f} ms  x{ratio}")
    out["fresh_pages"] = {"superuser": fresh, "refresh_task_seconds": round(refresh_seconds, 2),
                          "stored_scopes_written": written}
    print(f"refresh task (every stored scope, from the rows): {refresh_seconds:.1f} s, {written} written")


def step_report(args, out, floors):
    from apps.cohort.profile import isr_profile
    from apps.cohort.scope import Scope
    from apps.core.models import today
    from apps.reports import services as report_services
    from apps.products.models import Product

    product = Product.objects.get(code="anakinra")
    scope, reference = Scope(product=product, as_of=today()), product.current_reference_profile()
    profile_median, profile_all, (results, _details, timings) = timed(
        lambda: isr_profile(scope, reference), args.report_repeat)
    floor, core_floor = floors["aggregate-report"], floors["aggregate-report-core"]

    def full_run():
        report = report_services.report_request(product=product, as_of=today(), queue=False)
        if report.status != "queued":
            return report
        return report_services.report_run(report_id=report.pk)

    started = time.perf_counter()
    report = full_run()
    service_seconds = time.perf_counter() - started
    tracemalloc.start()
    isr_profile(scope, reference)
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    out["aggregate_report"] = {
        "isr_profile_seconds_median": round(profile_median, 3), "isr_profile_seconds_all": [round(t, 3) for t in profile_all],
        "service_seconds": round(service_seconds, 3), "service_status": report.status,
        "floor_sql_seconds": round(floor, 3), "ratio_to_floor": round(profile_median / floor, 2) if floor else None,
        "core_floor_sql_seconds": round(core_floor, 3),
        "ratio_to_core_floor": round(profile_median / core_floor, 2) if core_floor else None,
        "sql_timings": timings, "python_peak_mb": round(traced_peak / 2**20, 1),
        "exposed_patients": results["exposed_patients"], "isr_events": results["isr_events"],
        "within_targets": profile_median < TARGETS["report_seconds"]
        and (floor and profile_median / floor <= TARGETS["report_floor_ratio"]),
    }
    print(f"aggregate report: {profile_median:.2f} s (floor {floor:.2f} s, x{profile_median / floor:.1f}; "
          f"core-counts floor {core_floor:.2f} s, x{profile_median / core_floor:.1f}); "
          f"request+run service {service_seconds:.2f} s")


def page_urls():
    from django.urls import NoReverseMatch, reverse

    from apps.summaries.selectors import SUMMARIES

    urls = {"dashboard": reverse("dashboard:home"), "summaries-index": reverse("summaries:index")}
    urls.update({f"summary:{slug}": reverse("summaries:detail", args=[slug]) for slug in SUMMARIES})
    for name, route in (("reactions-list", "reactions:list"), ("patients-list", "patients:list"),
                        ("exposures-list", "exposures:list")):
        try:
            urls[name] = reverse(route)
        except NoReverseMatch:
            urls[name] = None
    return urls


def page_floor(name, floors):
    from apps.summaries.selectors import SUMMARIES

    if name.startswith("summary:"):
        return floors[name.split(":", 1)[1]]
    if name == "summaries-index":
        return sum(floors[slug] for slug in SUMMARIES)
    if name == "dashboard":
        return floors["incidence-by-site"] + floors["severity"] + floors["duration"]
    return floors.get(name)


def step_pages(args, out, floors):
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client

    analyst, reporter, _ = _bench_users()
    pages = {}
    for user, label in ((analyst, "analyst"), (reporter, "reporter site-01")):
        client = Client()
        client.force_login(user)
        for name, url in page_urls().items():
            key = f"{name} ({label})"
            if url is None:
                pages[key] = {"status": "not available: no such URL yet"}
                continue
            if label != "analyst" and name not in ("dashboard", "summary:incidence-by-site", "reactions-list"):
                continue
            cache.clear()  # the first request computes (cold), the next ones may be served from the summaries cache
            started = time.perf_counter()
            response = client.get(url, secure=True)
            cold = time.perf_counter() - started
            if response.status_code != 200:
                pages[key] = {"status": f"HTTP {response.status_code}"}
                continue
            queries = []
            with connection.execute_wrapper(lambda execute, sql, *rest: queries.append(sql) or execute(sql, *rest)):
                client.get(url, secure=True)
            _, timings, _ = timed(lambda: client.get(url, secure=True), args.repeat)
            floor = page_floor(name, floors)
            p50, p95 = statistics.median(timings) * 1000, percentile(timings, 0.95) * 1000
            pages[key] = {"url": url, "cold_ms": round(cold * 1000, 1), "p50_ms": round(p50, 1), "p95_ms": round(p95, 1), "queries": len(queries),
                          "floor_sql_ms": None if floor is None else round(floor * 1000, 1),
                          "ratio_to_floor": None if not floor else round(p50 / (floor * 1000), 2),
                          "cold_ratio_to_floor": None if not floor else round(cold / floor, 2),
                          "within_targets": p95 < TARGETS["page_p95_ms"] and len(queries) < TARGETS["page_queries"]}
            print(f"{key:45s} cold {cold * 1000:8.1f} ms  p50 {p50:8.1f} ms  p95 {p95:8.1f} ms  {len(queries):3d} q"
                  + ("" if floor is None else f"  floor {floor * 1000:8.1f} ms  x{p50 / (floor * 1000):.1f}"))
    out["pages"] = pages


def write_import_files(directory, patients, seed):
    """CSV files in the importer's format, from the demo generator (other refs than the bench data)."""
    from apps.core.models import today
    from apps.demo.generator import cohort_chunks

    paths = {kind: Path(directory) / f"{kind}.csv" for kind in ("patients", "exposures", "reactions")}
    refs = {}
    rows = 0
    with open(paths["patients"], "w", newline="") as pf, open(paths["exposures"], "w", newline="") as ef, \
            open(paths["reactions"], "w", newline="") as rf:
        pw, ew, rw = csv.writer(pf), csv.writer(ef), csv.writer(rf)
        pw.writerow(["patient_ref", "site", "sex", "birth_year"])
        ew.writerow(["patient_ref", "product_code", "start_date", "end_date", "dose_mg_per_day", "route",
                     "lot_number", "site"])
        rw.writerow(["reaction_ref", "patient_ref", "product_code", "onset_date", "resolution_date", "severity",
                     "ctcae_grade", "symptoms", "seriousness", "outcome", "injection_site", "diameter_mm", "site"])
        for chunk in cohort_chunks(patients=patients, seed=seed, sites=10, today=today()):
            for index, site, ref, sex, birth_year in chunk.patients:
                refs[index] = (ref, site)
                pw.writerow([ref, site, sex, birth_year])
            for index, start, end, dose, lot in chunk.periods:
                ref, site = refs[index]
                ew.writerow([ref, "anakinra", start.isoformat(), end.isoformat() if end else "", dose,
                             "subcutaneous", lot, site])
            for (index, reaction_ref, onset, resolution, severity, grade, symptoms, seriousness, outcome, _action,
                 _causality, injection_site, diameter, _qualification, _status) in chunk.reactions:
                ref, site = refs[index]
                rw.writerow([reaction_ref, ref, "anakinra", onset.isoformat(),
                             resolution.isoformat() if resolution else "", severity, grade or "",
                             ";".join(symptoms), ";".join(seriousness), outcome, injection_site, diameter or "", site])
            rows += len(chunk.patients) + len(chunk.periods) + len(chunk.reactions)
    return paths, rows


def step_import(args, out):
    try:
        from apps.imports.services import pv_csv_import
    except ImportError:
        out["csv_import"] = {"status": "not wired: apps.imports.services.pv_csv_import is missing"}
        print("CSV import: NOT WIRED")
        return
    patients = args.import_patients or max(1, min(5_000, args.patients // 20))
    with tempfile.TemporaryDirectory() as directory:
        paths, rows = write_import_files(directory, patients, seed=args.seed + 1000)
        started = time.perf_counter()
        result = pv_csv_import(patients=paths["patients"], exposures=paths["exposures"], reactions=paths["reactions"])
        seconds = time.perf_counter() - started
    rate = rows / seconds
    raw_rate = out["data"].get("generate_rows_per_second")
    out["csv_import"] = {
        "rows": rows, "patients": patients, "seconds": round(seconds, 2), "rows_per_second": round(rate),
        "ok": result.ok, "errors": [str(problem) for problem in result.errors[:5]],
        "floor_raw_bulk_insert_rows_per_second": raw_rate, "ratio_to_floor": round(raw_rate / rate, 2) if raw_rate else None,
        "within_targets": None if args.db != "postgresql" else rate >= TARGETS["import_rows_per_second_postgresql"],
    }
    print(f"CSV import: {rows:,} rows in {seconds:.1f} s = {rate:,.0f} rows/s (ok={result.ok}); "
          f"raw bulk insert {raw_rate} rows/s")


def main():
    args = parse_args()
    configure_environment(args)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from apps.core.models import today
    from apps.products.models import Product

    out = {"date": date.today().isoformat(), "db": args.db, "args": vars(args) | {"postgres_url": None},
           "machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "platform": platform.platform()},
           "targets": TARGETS}
    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    connection.ensure_connection()
    out["db_version"] = __import__("sqlite3").sqlite_version if args.db == "sqlite" \
        else connection.pg_version
    if args.existing:
        from apps.patients.models import Patient
        from apps.reactions.models import InjectionSiteReaction

        out["data"] = {"patients": Patient.objects.count(), "reactions": InjectionSiteReaction.objects.count(),
                       "load": "existing database (loaded by a previous run)"}
        print(f"existing cohort: {out['data']['patients']:,} patients, {out['data']['reactions']:,} reactions")
    elif args.load == "import":
        step_import_cohort(args, out)
    else:
        step_generate(args, out)
    out["peak_rss_mb_after_generate"] = round(peak_rss_mb(), 1)

    product = Product.objects.get(code="anakinra")
    floors = {}
    for name, sql in floor_sql(connection.vendor, product.pk, today()).items():
        run_floor(name, sql)  # warm the cache as the pages are warmed
        floors[name], _, _ = timed(lambda: run_floor(name, sql), 3)
    out["floors_sql_ms"] = {name: round(seconds * 1000, 1) for name, seconds in floors.items()}
    step_fresh_pages(args, out, floors)
    if not args.fresh_only:
        run_remaining_steps(args, out, floors)
    out["peak_rss_mb"] = round(peak_rss_mb(), 1)
    out["total_seconds"] = round(time.perf_counter() - started, 1)

    results_dir = Path(args.results_dir)
    results_dir.mkdir(parents=True, exist_ok=True)
    suffix = "-fresh" if args.fresh_only else ""
    path = results_dir / f"{out['date']}-{args.db}-{args.load}-{args.patients}{suffix}.json"
    path.write_text(json.dumps(out, indent=2, default=str) + "\n")
    print(f"peak RSS {out['peak_rss_mb']} MB; results in {path}")


def run_remaining_steps(args, out, floors):
    """The aggregate report, every page warm and cold, and a CSV import into the loaded cohort."""
    step_report(args, out, floors)
    out["peak_rss_mb_after_report"] = round(peak_rss_mb(), 1)
    step_pages(args, out, floors)
    out["peak_rss_mb_after_pages"] = round(peak_rss_mb(), 1)
    step_import(args, out)


if __name__ == "__main__":
    main()
