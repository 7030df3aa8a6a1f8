#!/usr/bin/env python
"""Listing export memory at two sizes: the peak must not grow with the rows (issue 15).

    python bench/export_memory.py --patients 100000      # ~1,000,000 reactions, PostgreSQL pv_bench_export

On a fresh PostgreSQL database with the demo cohort, the reaction listing's CSV export (and the XLSX
export of the smaller size) is downloaded through the Django test Client as a central analyst, once
filtered to one of the ten sites (about a tenth of the rows) and once unfiltered (all of them).
tracemalloc's peak of Python allocations while the response is produced and read is printed for each,
with the rows and rows/s (tracemalloc slows Python down: the rates are for comparison only).
"""
import argparse
import json
import os
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from common import use_fresh_database  # noqa: E402


def measure(client, params):
    """(data rows, bytes, seconds, tracemalloc peak MB) of one export."""
    tracemalloc.start()
    tracemalloc.reset_peak()
    started = time.perf_counter()
    response = client.get("/reactions/", params)
    assert response.status_code == 200, response.status_code
    size = lines = 0
    for chunk in response.streaming_content:
        size += len(chunk)
        lines += chunk.count(b"\n")
    seconds = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    response.close()
    return lines - 1, size, seconds, peak


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--patients", type=int, default=100_000)
    parser.add_argument("--postgres-url", default=os.environ.get(
        "BENCH_EXPORT_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/pv_bench_export"))
    parser.add_argument("--json", metavar="FILE")
    args = parser.parse_args()
    use_fresh_database("postgresql", ROOT / "var" / "bench-export", args.postgres_url)
    import django

    django.setup()
    from django.contrib.auth.models import Group
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from apps.accounts.models import Site, User
    from apps.demo.generator import generate_demo_data

    call_command("migrate", verbosity=0)
    generate_demo_data(patients=args.patients, seed=1, sites=10)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    analyst = User.objects.create_user(username="bench-analyst")
    analyst.groups.set([Group.objects.get(name="analyst")])
    client = Client()
    client.force_login(analyst)
    site = Site.objects.order_by("code").first()
    # Warm-up (not measured): the first request imports and compiles what every later one reuses.
    client.get("/reactions/", {"_export": "csv", "site": site.pk, "severity": "severe"}).getvalue()
    client.get("/reactions/", {"_export": "xlsx", "site": site.pk, "severity": "severe"}).getvalue()
    out = {}
    for label, params in (("CSV, one site", {"_export": "csv", "site": site.pk}),
                          ("CSV, all sites", {"_export": "csv"}),
                          ("XLSX, one site", {"_export": "xlsx", "site": site.pk})):
        if params["_export"] == "xlsx":
            tracemalloc.start()
            started = time.perf_counter()
            response = client.get("/reactions/", params)
            size = sum(len(chunk) for chunk in response.streaming_content)
            seconds, peak = time.perf_counter() - started, tracemalloc.get_traced_memory()[1] / 2**20
            tracemalloc.stop()
            rows = out["CSV, one site"]["rows"]
        else:
            rows, size, seconds, peak = measure(client, params)
        print(f"  {label:16s} {rows:>9,} rows, {size / 2**20:7.1f} MB in {seconds:6.1f} s "
              f"({rows / seconds:,.0f} rows/s under tracemalloc): Python peak {peak:6.1f} MB", flush=True)
        out[label] = {"rows": rows, "bytes": size, "seconds": round(seconds, 2), "peak_mb": round(peak, 2)}
    small, large = out["CSV, one site"], out["CSV, all sites"]
    print(f"  CSV peak, all sites / one site: x{large['peak_mb'] / small['peak_mb']:.2f} for "
          f"x{large['rows'] / small['rows']:.1f} the rows (independent of rows: about x1)")
    out["peak_ratio"] = round(large["peak_mb"] / small["peak_mb"], 2)
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=2) + "\n")


if __name__ == "__main__":
    main()
