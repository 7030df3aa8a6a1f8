#!/usr/bin/env python
"""Listing pages only: p50/p95 server time and query counts of the reaction, exposure and patient lists.

    PV_VAR_DIR=/tmp/x python bench/listings.py                   # SQLite at $PV_VAR_DIR/db.sqlite3
    DATABASE_URL=postgres://... python bench/listings.py --explain

Runs on an existing database (e.g. after `generate_demo_data --patients 100000 --seed 1`), never
creates or drops one; adds the users bench-analyst, bench-reviewer and bench-reporter (site-01).
Each page: one warm-up request, one counted for queries, then --repeat timed requests (Django test
Client, so server time: middleware, view, queries, template). --explain prints the plan of each
page's slowest query (SQLite EXPLAIN QUERY PLAN, PostgreSQL EXPLAIN ANALYZE).
"""
import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PAGES = [
    # (name, user, route, query string)
    ("reactions default", "analyst", "reactions:list", {}),
    ("reactions filtered (submitted)", "analyst", "reactions:list", {"status": "submitted"}),
    ("reactions filtered (severe, site-02)", "analyst", "reactions:list", {"severity": "severe", "site": "site-02"}),
    ("reactions sorted by ref", "analyst", "reactions:list", {"sort": "reaction_ref"}),
    ("reactions sorted by onset asc", "analyst", "reactions:list", {"sort": "onset_date"}),
    ("reactions sorted by severity", "analyst", "reactions:list", {"sort": "severity"}),
    ("reactions page 50", "analyst", "reactions:list", {"page": 50}),
    ("reactions search (one patient)", "analyst", "reactions:list", {"search": "D1-034567"}),
    ("reactions onset range", "analyst", "reactions:list", {"onset_date_after": "2024-01-01",
                                                             "onset_date_before": "2024-03-31"}),
    ("reactions include voided", "reviewer", "reactions:list", {"include_voided": "on"}),
    ("reactions reporter site-01", "reporter", "reactions:list", {}),
    ("reactions reporter page 50", "reporter", "reactions:list", {"page": 50}),
    ("reactions reporter severe", "reporter", "reactions:list", {"severity": "severe"}),
    ("exposures default", "analyst", "exposures:list", {}),
    ("exposures filtered (ongoing)", "analyst", "exposures:list", {"ongoing": "true"}),
    ("exposures sorted by start asc", "analyst", "exposures:list", {"sort": "start_date"}),
    ("exposures page 50", "analyst", "exposures:list", {"page": 50}),
    ("exposures search (one patient)", "analyst", "exposures:list", {"patient": "D1-034567"}),
    ("exposures reporter site-01", "reporter", "exposures:list", {}),
    ("patients default", "analyst", "patients:list", {}),
    ("patients filtered (female)", "analyst", "patients:list", {"sex": "female"}),
    ("patients sorted by ref", "analyst", "patients:list", {"sort": "patient_ref"}),
    ("patients page 50", "analyst", "patients:list", {"page": 50}),
    ("patients search (one patient)", "analyst", "patients:list", {"patient_ref": "D1-034567"}),
    ("patients reporter site-01", "reporter", "patients:list", {}),
]


def percentile(values, share):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--only", default="", help="Run pages whose name contains this text.")
    parser.add_argument("--explain", action="store_true")
    parser.add_argument("--json", help="Write the results to this file.")
    args = parser.parse_args()
    os.environ.update(DEBUG="false", SECRET_KEY="bench-only-secret-key", ALLOWED_HOSTS="testserver",
                      SECURE_SSL_REDIRECT="false", LOG_LEVEL="WARNING", DJANGO_SETTINGS_MODULE="pv_tracker.settings")
    os.environ.setdefault("CELERY_BROKER_URL", "filesystem://")
    import django

    django.setup()
    from django.contrib.auth.models import Group
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    from apps.accounts.models import Site, User

    users = {}
    for role, site in (("analyst", None), ("reviewer", None), ("reporter", Site.objects.get(code="site-01"))):
        user, _ = User.objects.get_or_create(username=f"bench-{role}", defaults={"site": site})
        user.groups.set([Group.objects.get(name=role)])
        users[role] = Client()
        users[role].force_login(user)
    sites = {site.code: site.pk for site in Site.objects.all()}
    results = {}
    for name, role, route, params in PAGES:
        if args.only not in name:
            continue
        params = {key: sites.get(value, value) if key == "site" else value for key, value in params.items()}
        client, url = users[role], reverse(route)
        response = client.get(url, params, secure=True)
        if response.status_code != 200:
            print(f"{name}: HTTP {response.status_code}")
            continue
        queries = []

        def record(execute, sql, params_, many, context):
            started = time.perf_counter()
            try:
                return execute(sql, params_, many, context)
            finally:
                queries.append((time.perf_counter() - started, sql, params_))

        with connection.execute_wrapper(record):
            client.get(url, params, secure=True)
        timings = []
        for _ in range(args.repeat):
            started = time.perf_counter()
            client.get(url, params, secure=True)
            timings.append(time.perf_counter() - started)
        p50, p95 = statistics.median(timings) * 1000, percentile(timings, 0.95) * 1000
        slowest = max(queries, key=lambda q: q[0])
        results[name] = {"p50_ms": round(p50, 1), "p95_ms": round(p95, 1), "queries": len(queries),
                         "slowest_query_ms": round(slowest[0] * 1000, 1)}
        print(f"{name:40s} p50 {p50:8.1f} ms  p95 {p95:8.1f} ms  {len(queries):3d} q  "
              f"slowest query {slowest[0] * 1000:7.1f} ms", flush=True)
        if args.explain:
            prefix = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN (ANALYZE, COSTS OFF) "
            with connection.cursor() as cursor:
                cursor.execute(prefix + slowest[1], slowest[2])
                rows = cursor.fetchall()
            print("   ", slowest[1][:600])
            for row in rows:
                print("     ", row[-1] if connection.vendor == "sqlite" else row[0])
    if args.json:
        Path(args.json).write_text(json.dumps({"db": connection.vendor, "pages": results}, indent=2) + "\n")


if __name__ == "__main__":
    main()
