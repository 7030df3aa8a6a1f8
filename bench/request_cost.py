#!/usr/bin/env python
"""Request cost against its floor: the reaction listing and the reaction form against a trivial page and form.

    python bench/request_cost.py --patients 20000            # PostgreSQL database pv_bench_requests (dropped first)

On a fresh PostgreSQL database with the demo cohort, DEBUG off, the floors are a trivial authenticated
page and a trivial two-field form (bench/bench_urls.py) behind the same middleware, session,
authentication and CSRF checks. Printed, each beside its floor as a ratio:
1. CPU per request in this process (Django test Client; the server's Python, not the database's):
   GET /reactions/ against the trivial page, a reaction form POST against the trivial form's POST.
2. Through gunicorn as in the Dockerfile (gunicorn.conf.py: gthread, one process per core), on a free port:
   listing throughput from --clients client threads for --seconds, against the trivial page's; the
   server's CPU per request (utime + stime of its processes); and the p95 of --posts form POSTs at
   --concurrency concurrent clients (each loads the form, then posts it), against the trivial form's.
Targets (issue 15): listing ratio <= 2, POST CPU <= 2x, p95 <= 2x. The machine is shared: read the ratios.
"""
import argparse
import json
import os
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from common import use_fresh_database  # noqa: E402

TARGET_RATIO = 2.0
PASSWORD = "bench-password-2026"


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--patients", type=int, default=20_000)
    parser.add_argument("--requests", type=int, default=200, help="In-process requests per measurement.")
    parser.add_argument("--clients", type=int, default=8, help="Client threads of the throughput runs.")
    parser.add_argument("--seconds", type=float, default=10.0, help="Length of each throughput run.")
    parser.add_argument("--posts", type=int, default=160, help="Form submissions per p95 run.")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--postgres-url", default=os.environ.get(
        "BENCH_REQUESTS_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/pv_bench_requests"))
    parser.add_argument("--json", metavar="FILE")
    return parser.parse_args()


def percentile(values, share):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, int(-(-len(ordered) * share // 1)) - 1))] if ordered else None


# --- in process -------------------------------------------------------------------------------

def cpu_per_request(function, count):
    """(CPU ms, wall ms) per call, medians over `count` calls after two warm-ups."""
    function(), function()
    cpu, wall = [], []
    for _ in range(count):
        started_cpu, started = time.process_time(), time.perf_counter()
        function()
        cpu.append(time.process_time() - started_cpu)
        wall.append(time.perf_counter() - started)
    return statistics.median(cpu) * 1000, statistics.median(wall) * 1000


def in_process(args, analyst, reporter, patients, product_pk):
    from django.test import Client

    from scripts.load_submit import reaction_form_data

    central, site_user = Client(), Client()
    central.force_login(analyst)
    site_user.force_login(reporter)

    def get(client, url):
        def call():
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)
        return call

    counter = iter(range(10**9))

    def post_reaction():
        n = next(counter)
        patient = patients[n % len(patients)]
        onset = date(2024, 2, 1) + timedelta(days=n // len(patients))
        response = site_user.post(f"/reactions/new/{patient}/", reaction_form_data(
            ref=f"BENCH-INPROC-{n}", product_pk=product_pk, onset=onset))
        assert response.status_code == 302, response.content.decode()[:2000]

    def post_trivial():
        response = site_user.post("/bench/trivial-form/", {"reaction_ref": "X", "onset_date": "2024-02-01"})
        assert response.status_code == 302

    out = {}
    for label, listing, floor in (
            ("GET /reactions/ (analyst)", get(central, "/reactions/"), get(central, "/bench/trivial/")),
            ("GET /reactions/ (site reporter)", get(site_user, "/reactions/"), get(site_user, "/bench/trivial/")),
            ("GET / dashboard (analyst, warm cache)", get(central, "/"), get(central, "/bench/trivial/")),
            ("POST reaction form (site reporter)", post_reaction, post_trivial)):
        cpu, wall = cpu_per_request(listing, args.requests)
        floor_cpu, floor_wall = cpu_per_request(floor, args.requests)
        ratio = cpu / floor_cpu
        print(f"  {label:40s} CPU {cpu:6.1f} ms/request, floor {floor_cpu:5.1f} ms: x{ratio:.2f}"
              f"   (wall {wall:.1f} / {floor_wall:.1f} ms)", flush=True)
        out[label] = {"cpu_ms": round(cpu, 2), "floor_cpu_ms": round(floor_cpu, 2), "ratio": round(ratio, 2),
                      "wall_ms": round(wall, 2), "floor_wall_ms": round(floor_wall, 2)}
    return out


# --- through gunicorn -------------------------------------------------------------------------

def process_cpu_seconds(pid):
    """utime + stime of a process and its live children (gunicorn's master and workers)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    pids = [pid]
    children = Path(f"/proc/{pid}/task/{pid}/children")
    if children.exists():
        pids += [int(child) for child in children.read_text().split()]
    for each in pids:
        try:
            fields = Path(f"/proc/{each}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def throughput(server, sessions, path, seconds):
    """Requests per second of len(sessions) clients looping GET `path`, and the server's CPU ms per request."""
    deadline = time.perf_counter() + seconds

    def loop(session):
        done = 0
        while time.perf_counter() < deadline:
            response = session.get(path)
            if response.status != 200:
                raise RuntimeError(f"GET {path}: HTTP {response.status}")
            done += 1
        return done

    cpu_before, started = process_cpu_seconds(server.process.pid), time.perf_counter()
    with ThreadPoolExecutor(max_workers=len(sessions)) as pool:
        total = sum(pool.map(loop, sessions))
    wall, cpu = time.perf_counter() - started, process_cpu_seconds(server.process.pid) - cpu_before
    return total / wall, cpu / total * 1000


def trivial_submissions(sessions, count, concurrency):
    """POST seconds of `count` trivial-form submissions (each after loading the form) from `concurrency` threads."""
    def submit(n):
        session = sessions[n % len(sessions)]
        token, _ = session.csrf_token("/bench/trivial-form/")
        response = session.post("/bench/trivial-form/", {"csrfmiddlewaretoken": token, "reaction_ref": f"T-{n}",
                                                          "onset_date": "2024-02-01"})
        if response.status != 302:
            raise RuntimeError(f"trivial form: HTTP {response.status}")
        return response.seconds

    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        return list(pool.map(submit, range(count)))


def through_gunicorn(args, database_url, analyst_name, users_by_site, patients_by_site, product_pk):
    from scripts.load_submit import Gunicorn, Session, free_port, next_free_onset, plan_submissions, run_submissions

    server = Gunicorn(database_url=database_url, env={
        "DJANGO_SETTINGS_MODULE": "bench.bench_settings", "PV_VAR_DIR": os.environ["PV_VAR_DIR"],
        "LOG_LEVEL": "WARNING", "ALLOWED_HOSTS": "127.0.0.1,testserver"})
    server.port = free_port()
    server.url = f"http://127.0.0.1:{server.port}"
    server.command = [str(Path(sys.executable).with_name("gunicorn")), "pv_tracker.wsgi:application",
                      "--config", str(ROOT / "gunicorn.conf.py"), "--bind", f"127.0.0.1:{server.port}",
                      "--access-logfile", "/dev/null"]
    out = {}
    with server:
        central = [Session(server.url).login(analyst_name, PASSWORD) for _ in range(args.clients)]
        for label, path in (("GET /reactions/ (analyst)", "/reactions/"), ("GET / dashboard (analyst)", "/")):
            throughput(server, central[:2], path, 2)  # warm every worker
            throughput(server, central[:2], "/bench/trivial/", 2)
            rate, cpu = throughput(server, central, path, args.seconds)
            floor_rate, floor_cpu = throughput(server, central, "/bench/trivial/", args.seconds)
            ratio = floor_rate / rate
            print(f"  {label:40s} {rate:7.1f} req/s, trivial page {floor_rate:7.1f} req/s: ratio {ratio:.2f} "
                  f"(target <= {TARGET_RATIO:g}); server CPU {cpu:.1f} / {floor_cpu:.1f} ms per request", flush=True)
            out[label] = {"requests_per_second": round(rate, 1), "floor_requests_per_second": round(floor_rate, 1),
                          "ratio": round(ratio, 2), "server_cpu_ms": round(cpu, 2),
                          "floor_server_cpu_ms": round(floor_cpu, 2), "clients": args.clients}

        sessions_by_site = {site: [Session(server.url).login(name, PASSWORD) for name in names]
                            for site, names in users_by_site.items()}
        plans = plan_submissions(sessions_by_site=sessions_by_site, patients_by_site=patients_by_site,
                                 count=args.posts, prefix=f"BENCH-{int(time.time())}",
                                 first_onset=next_free_onset(patients_by_site))
        cpu_before = process_cpu_seconds(server.process.pid)
        done, _ = run_submissions(plans, product_pk=product_pk, concurrency=args.concurrency)
        cpu = (process_cpu_seconds(server.process.pid) - cpu_before) / len(done) * 1000
        failed = [s for s in done if s.status != 302]
        if failed:
            sys.exit(f"{len(failed)} reaction submissions failed, e.g. {failed[0].status} {failed[0].error}")
        everyone = [session for sessions in sessions_by_site.values() for session in sessions]
        cpu_before = process_cpu_seconds(server.process.pid)
        trivial = trivial_submissions(everyone, args.posts, args.concurrency)
        floor_cpu = (process_cpu_seconds(server.process.pid) - cpu_before) / len(trivial) * 1000
        posts = [s.post_seconds for s in done]
        p95, floor_p95 = percentile(posts, 0.95) * 1000, percentile(trivial, 0.95) * 1000
        print(f"  {'POST reaction form, p95 at ' + str(args.concurrency) + ' clients':40s} {p95:7.1f} ms, trivial form "
              f"{floor_p95:7.1f} ms: x{p95 / floor_p95:.2f} (target <= {TARGET_RATIO:g}); server CPU per form "
              f"(GET + POST) {cpu:.1f} / {floor_cpu:.1f} ms", flush=True)
        out["POST reaction form p95"] = {"p95_ms": round(p95, 1), "floor_p95_ms": round(floor_p95, 1),
                                         "ratio": round(p95 / floor_p95, 2), "p50_ms": round(
                                             percentile(posts, 0.5) * 1000, 1),
                                         "floor_p50_ms": round(percentile(trivial, 0.5) * 1000, 1),
                                         "server_cpu_ms_get_and_post": round(cpu, 2),
                                         "floor_server_cpu_ms_get_and_post": round(floor_cpu, 2),
                                         "concurrency": args.concurrency, "posts": args.posts}
    return out


def main():
    args = parse_args()
    use_fresh_database("postgresql", ROOT / "var" / "bench-requests", args.postgres_url)
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.bench_settings"
    os.environ["ALLOWED_HOSTS"] = "127.0.0.1,testserver"
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth.models import Group
    from django.core.management import call_command
    from django.db import connection

    from apps.accounts.models import User
    from apps.demo.generator import generate_demo_data
    from scripts.load_submit import seed

    call_command("migrate", verbosity=0)
    generate_demo_data(patients=args.patients, seed=1, sites=10)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    product_pk, users_by_site, patients_by_site = seed(password=PASSWORD, patients_per_site=40)
    analyst = User.objects.create_user(username="bench-analyst", password=PASSWORD)
    analyst.groups.set([Group.objects.get(name="analyst")])
    reporter = User.objects.get(username=users_by_site[sorted(users_by_site)[0]][0])
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM reactions_injectionsitereaction")
        rows = cursor.fetchone()[0]
    print(f"[postgresql] {rows:,} reactions; DEBUG={settings.DEBUG}, CONN_MAX_AGE="
          f"{settings.DATABASES['default']['CONN_MAX_AGE']}, {os.cpu_count()} cores", flush=True)
    print("in process (Django test Client):", flush=True)
    first_site = sorted(patients_by_site)[0]
    out = {"reactions": rows, "in_process": in_process(args, analyst, reporter, patients_by_site[first_site],
                                                       product_pk)}
    connection.close()
    print(f"through gunicorn (gunicorn.conf.py), {args.clients} clients:", flush=True)
    out["gunicorn"] = through_gunicorn(args, os.environ["DATABASE_URL"], analyst.username, users_by_site,
                                       patients_by_site, product_pk)
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=2) + "\n")


if __name__ == "__main__":
    main()
