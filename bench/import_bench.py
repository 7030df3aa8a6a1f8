#!/usr/bin/env python
"""CSV import benchmark (issue 5: >= 20,000 reaction rows/s on PostgreSQL), on a fresh database of its own.

    python bench/import_bench.py --db postgresql --patients 10000
    python bench/import_bench.py --db sqlite --patients 2000

Writes patients, exposures and reactions CSV files (the demo cohort generator, about ten
reactions per patient) to a temp dir, then times, on an empty database:
  1. patients + exposures in one import, 2. the reactions file alone (the target's figure),
  3. a re-import of all three files (every row unchanged), 4. a dry run of the reactions.
Each import validates every row and writes history; the floor beside it is measured in the
same run: the raw load of the same CSV rows into scratch tables with no validation (COPY on
PostgreSQL, executemany on SQLite). The ratio import time / floor time says what the
validation and history cost. On a shared machine the wall-clock rate depends on the load:
the rate per CPU second of this process is printed beside it (the server's work is not in
it). `--json FILE` also writes the figures as JSON.
"""
import argparse
import csv
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from common import use_fresh_database  # noqa: E402  (bench/common.py, beside this script)

TARGET_REACTION_ROWS_PER_SECOND = 20_000
KINDS = ("patients", "exposures", "reactions")
HEADERS = {
    "patients": ["patient_ref", "site", "sex", "birth_year"],
    "exposures": ["patient_ref", "product_code", "start_date", "end_date", "dose_mg_per_day", "route", "lot_number",
                  "site"],
    "reactions": ["reaction_ref", "patient_ref", "product_code", "onset_date", "resolution_date", "severity",
                  "ctcae_grade", "symptoms", "seriousness", "outcome", "injection_site", "diameter_mm", "site"],
}
# Scratch tables of the floor: the CSV columns with their SQL types, no constraint, no index.
SCRATCH_TYPES = {
    "patient_ref": "varchar(50)", "site": "varchar(50)", "sex": "varchar(10)", "birth_year": "integer",
    "product_code": "varchar(50)", "start_date": "date", "end_date": "date", "dose_mg_per_day": "numeric(8,2)",
    "route": "varchar(20)", "lot_number": "varchar(50)", "reaction_ref": "varchar(50)", "onset_date": "date",
    "resolution_date": "date", "severity": "varchar(10)", "ctcae_grade": "integer", "symptoms": "varchar(255)",
    "seriousness": "varchar(255)", "outcome": "varchar(30)", "injection_site": "varchar(20)",
    "diameter_mm": "integer",
}


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=("sqlite", "postgresql"), required=True)
    parser.add_argument("--patients", type=int, default=10_000, help="Patients in the files (~10 reactions each).")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--postgres-url", default=os.environ.get(
        "BENCH_IMPORT_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/pv_bench_import"),
        help="Dropped and re-created: its name must start with pv_bench.")
    parser.add_argument("--json", metavar="FILE", help="Also write the figures to this JSON file.")
    return parser.parse_args()


def configure_environment(args):
    """A fresh database for this run only; never the dev or test database."""
    use_fresh_database(args.db, Path(os.environ.get("PV_VAR_DIR", ROOT / "var")) / "bench-import" / args.db, args.postgres_url)


def write_files(directory, patients, seed):
    """The demo cohort as import files; returns ({kind: path}, {kind: data rows})."""
    from apps.core.models import today
    from apps.demo.generator import cohort_chunks

    paths = {kind: Path(directory) / f"{kind}.csv" for kind in KINDS}
    counts = dict.fromkeys(KINDS, 0)
    files = {kind: open(path, "w", newline="", encoding="utf-8") for kind, path in paths.items()}
    try:
        writers = {kind: csv.writer(file) for kind, file in files.items()}
        for kind, writer in writers.items():
            writer.writerow(HEADERS[kind])
        refs = {}
        for chunk in cohort_chunks(patients=patients, seed=seed, sites=10, today=today()):
            for index, site, ref, sex, birth_year in chunk.patients:
                refs[index] = (ref, site)
                writers["patients"].writerow([ref, site, sex, birth_year])
            for index, start, end, dose, lot in chunk.periods:
                ref, site = refs[index]
                writers["exposures"].writerow([ref, "anakinra", start, end or "", dose, "subcutaneous", lot, site])
            for (index, reaction_ref, onset, resolution, severity, grade, symptoms, seriousness, outcome, _action,
                 _causality, injection_site, diameter, _qualification, _status) in chunk.reactions:
                ref, site = refs[index]
                writers["reactions"].writerow([
                    reaction_ref, ref, "anakinra", onset, resolution or "", severity, grade or "",
                    ";".join(symptoms), ";".join(seriousness), outcome, injection_site, diameter or "", site])
            counts["patients"] += len(chunk.patients)
            counts["exposures"] += len(chunk.periods)
            counts["reactions"] += len(chunk.reactions)
    finally:
        for file in files.values():
            file.close()
    return paths, counts


def floor_seconds(paths):
    """Seconds to load the CSV rows raw into scratch tables, in one transaction rolled back after."""
    from django.db import connection, transaction

    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        for kind, path in paths.items():
            table = f"bench_scratch_{kind}"
            columns = HEADERS[kind]
            cursor.execute(f"CREATE TEMP TABLE {table} ({', '.join(f'{c} {SCRATCH_TYPES[c]}' for c in columns)})")
            with open(path, newline="", encoding="utf-8") as file:
                if connection.vendor == "postgresql":
                    with cursor.copy(f"COPY {table} FROM STDIN WITH (FORMAT csv, HEADER true)") as copy:
                        while data := file.read(1 << 20):
                            copy.write(data)
                else:
                    reader = csv.reader(file)
                    next(reader)
                    placeholders = ", ".join(["%s"] * len(columns))
                    cursor.executemany(f"INSERT INTO {table} VALUES ({placeholders})",
                                       ([cell or None for cell in row] for row in reader))
        seconds = time.perf_counter() - started
        transaction.set_rollback(True)
    return seconds


def sql_only_floor_seconds(path):
    """Seconds for the SQL-only floor of the reactions import (PostgreSQL), rolled back after.

    COPY of the CSV into a scratch table, then one INSERT ... SELECT into the real reaction table
    (references resolved by joins, codes turned into the stored forms, every other column its default)
    and one into its history table: what the server must do for the rows whatever the importer does
    in Python (indexes, constraints, foreign keys, two rows per reaction), with no validation."""
    from django.db import connection, transaction

    from apps.reactions.models import InjectionSiteReaction

    model, history = InjectionSiteReaction, InjectionSiteReaction.history.model
    from_csv = {
        "reaction_ref": "s.reaction_ref", "patient_id": "p.id", "product_id": "pr.id", "onset_date": "s.onset_date",
        "resolution_date": "s.resolution_date", "severity": "s.severity", "ctcae_grade": "s.ctcae_grade",
        "symptoms": "',' || replace(s.symptoms, ';', ',') || ','",
        "seriousness": "CASE WHEN coalesce(s.seriousness, '') = '' THEN '' "
                       "ELSE ',' || replace(s.seriousness, ';', ',') || ',' END",
        "outcome": "s.outcome", "injection_site": "coalesce(s.injection_site, '')", "diameter_mm": "s.diameter_mm",
        "status": "'submitted'", "created_at": "now()", "updated_at": "now()",
    }
    columns, expressions, params = [], [], []
    for field in model._meta.concrete_fields:
        if field.primary_key:
            continue
        columns.append(connection.ops.quote_name(field.column))
        if field.attname in from_csv:
            expressions.append(from_csv[field.attname])
        else:
            expressions.append("%s")
            params.append(field.get_db_prep_save(field.get_default(), connection))
    history_columns, history_expressions = [], []
    for field in history._meta.concrete_fields:
        if field.attname == "history_id":
            continue
        history_columns.append(connection.ops.quote_name(field.column))
        history_expressions.append({"history_date": "now()", "history_change_reason": "'CSV import'",
                                    "history_type": "'+'", "history_user_id": "NULL"}.get(
            field.attname, connection.ops.quote_name(field.column)))
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        columns_sql = ", ".join(f"{c} {SCRATCH_TYPES[c]}" for c in HEADERS["reactions"])
        cursor.execute(f"CREATE TEMP TABLE bench_floor_reactions ({columns_sql})")
        with open(path, newline="", encoding="utf-8") as file, \
                cursor.copy("COPY bench_floor_reactions FROM STDIN WITH (FORMAT csv, HEADER true)") as copy:
            while data := file.read(1 << 20):
                copy.write(data)
        cursor.execute("SELECT coalesce(max(id), 0) FROM reactions_injectionsitereaction")
        before = cursor.fetchone()[0]
        cursor.execute(
            f"INSERT INTO {model._meta.db_table} ({', '.join(columns)}) SELECT {', '.join(expressions)} "
            "FROM bench_floor_reactions s JOIN accounts_site si ON si.code = s.site "
            "JOIN patients_patient p ON p.site_id = si.id AND p.patient_ref = s.patient_ref "
            "JOIN products_product pr ON pr.code = s.product_code", params)
        cursor.execute(f"INSERT INTO {history._meta.db_table} ({', '.join(history_columns)}) "
                       f"SELECT {', '.join(history_expressions)} FROM {model._meta.db_table} WHERE id > %s", [before])
        seconds = time.perf_counter() - started
        transaction.set_rollback(True)
    return seconds


def server_cpu_seconds():
    """CPU seconds used so far by this connection's PostgreSQL backend process (same machine: /proc)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_of(function, *args, **kwargs):
    """(result, CPU seconds of this process + its PostgreSQL backend): a cost the machine's load hardly moves."""
    server, own = server_cpu_seconds(), time.process_time()
    result = function(*args, **kwargs)
    return result, (time.process_time() - own) + (server_cpu_seconds() - server)


def command_fixed_cost(directory):
    """Wall and CPU seconds of `manage.py import_pv_csv` on a header-only file: its cost before the first row."""
    import resource
    import subprocess

    empty = Path(directory) / "empty-patients.csv"
    empty.write_text(",".join(HEADERS["patients"]) + "\n", encoding="utf-8")
    runs = []
    for _ in range(3):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        subprocess.run([sys.executable, str(ROOT / "manage.py"), "import_pv_csv", "--patients", str(empty)],
                       check=True, capture_output=True, env=os.environ)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        runs.append((time.perf_counter() - started,
                     after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime))
    return min(runs)


def timed_import(**kwargs):
    from apps.imports.services import pv_csv_import

    started, cpu = time.perf_counter(), time.process_time()
    result = pv_csv_import(**kwargs)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    if not result.ok:
        sys.exit("The import was refused:\n" + "\n".join(str(problem) for problem in result.errors[:10]))
    return seconds, cpu, result


def main():
    args = parse_args()
    configure_environment(args)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    out = {"db": connection.vendor, "patients": args.patients, "seed": args.seed,
           "target_reaction_rows_per_second_postgresql": TARGET_REACTION_ROWS_PER_SECOND}
    with tempfile.TemporaryDirectory() as directory:
        paths, counts = write_files(directory, args.patients, args.seed)
        out["rows"] = counts
        floor = floor_seconds(paths)
        floor_reactions = floor_seconds({"reactions": paths["reactions"]})
        base = timed_import(patients=paths["patients"], exposures=paths["exposures"])
        sql_floor = sql_floor_cpu = None
        if connection.vendor == "postgresql":
            sql_floor, sql_floor_cpu = cpu_of(sql_only_floor_seconds, paths["reactions"])
            reactions, reactions_cpu = cpu_of(timed_import, reactions=paths["reactions"])
        else:
            reactions = timed_import(reactions=paths["reactions"])
        fixed_wall, fixed_cpu = command_fixed_cost(directory)
        again = timed_import(**paths)
        dry = timed_import(reactions=paths["reactions"], dry_run=True)
    total = sum(counts.values())
    steps = {
        "patients + exposures": (counts["patients"] + counts["exposures"], base, None),
        "reactions (new)": (counts["reactions"], reactions, floor_reactions),
        "all three, re-import (unchanged)": (total, again, floor),
        "reactions, dry run (unchanged)": (counts["reactions"], dry, floor_reactions),
    }
    print(f"[{connection.vendor}] {counts['patients']:,} patients, {counts['exposures']:,} exposures, "
          f"{counts['reactions']:,} reactions; raw load of all rows {floor:.2f} s = {total / floor:,.0f} rows/s")
    out["floor_all_rows_per_second"] = round(total / floor)
    out["steps"] = {}
    for label, (rows, (seconds, cpu, _), floor_for) in steps.items():
        line = (f"  {label:34s} {rows:>9,} rows in {seconds:6.2f} s = {rows / seconds:>9,.0f} rows/s "
                f"({rows / cpu:>7,.0f} per CPU second of this process)")
        step = {"rows": rows, "seconds": round(seconds, 3), "rows_per_second": round(rows / seconds),
                "cpu_seconds": round(cpu, 3)}
        if floor_for:
            line += f"   x{seconds / floor_for:.1f} the raw load ({rows / floor_for:,.0f} rows/s)"
            step["ratio_to_raw_load"] = round(seconds / floor_for, 2)
        print(line)
        out["steps"][label] = step
    print(f"  manage.py import_pv_csv before the first row: {fixed_wall:.2f} s wall, {fixed_cpu:.2f} s CPU "
          f"(target <= 1 s)")
    out["command_fixed_cost"] = {"wall_seconds": round(fixed_wall, 3), "cpu_seconds": round(fixed_cpu, 3)}
    if sql_floor:
        share = sql_floor / reactions[0]
        print(f"  new reactions against the SQL-only floor (COPY, then INSERT ... SELECT into the table and its "
              f"history): floor {sql_floor:.2f} s = {counts['reactions'] / sql_floor:,.0f} rows/s; the import runs at "
              f"{share:.2f}x the floor's rate (target >= 0.8)")
        cpu_share = sql_floor_cpu / reactions_cpu
        print(f"  ... in CPU seconds (this process + its PostgreSQL backend, which the machine's load hardly moves): "
              f"floor {sql_floor_cpu:.2f} s, import {reactions_cpu:.2f} s: the import costs {1 / cpu_share:.2f}x "
              f"the floor's CPU ({cpu_share:.2f}x its rate per CPU second; target >= 0.8)")
        out["sql_only_floor"] = {"seconds": round(sql_floor, 3), "rows_per_second": round(counts["reactions"] / sql_floor),
                                 "import_share_of_floor_rate": round(share, 2), "cpu_seconds": round(sql_floor_cpu, 3),
                                 "import_cpu_seconds": round(reactions_cpu, 3),
                                 "import_share_of_floor_rate_per_cpu_second": round(cpu_share, 2)}
    rate = counts["reactions"] / reactions[0]
    out["reaction_rows_per_second"] = round(rate)
    out["flagged_late_onset"] = reactions[2].files["reactions"].flagged
    if connection.vendor == "postgresql":
        verdict = "meets" if rate >= TARGET_REACTION_ROWS_PER_SECOND else "MISSES"
        print(f"  new reactions: {rate:,.0f} rows/s {verdict} the target of {TARGET_REACTION_ROWS_PER_SECOND:,}")
        out["within_target"] = rate >= TARGET_REACTION_ROWS_PER_SECOND
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=2) + "\n")


if __name__ == "__main__":
    main()
