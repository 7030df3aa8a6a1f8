#!/usr/bin/env python
"""Concurrency load test: many users submit reaction forms at once to a real gunicorn.

    .venv/bin/python scripts/load_submit.py [--database-url URL] [--requests 200] [--concurrency 16]

Without --database-url it uses a fresh SQLite file in a temporary folder (WAL mode, busy
timeout, IMMEDIATE transactions, as configured in settings). A PostgreSQL URL must name a
database you can throw away: the script migrates it and adds its own sites, users and patients.

Steps: migrate, create 2 sites × 3 reporters and their patients, start
`gunicorn pv_tracker.wsgi:application --workers 4 --threads 2` on a free 127.0.0.1 port,
log every user in through the login form, then send the submissions from a thread pool
(each one loads the form for its CSRF token, then posts a reaction with a unique ref).
It checks that every reaction is stored exactly once with exactly one history row and that
no response was a 500, races two edits of the same reaction version (exactly one must win),
and prints p50/p95 latency and throughput as JSON. Exit status 1 when a check fails.

The functions are also used by tests/load/, which runs them against the test database.
"""
import argparse
import http.cookiejar
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CSRF_INPUT_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
CONFLICT_MESSAGE = "Someone else saved this reaction after you opened it"
FIRST_ONSET = date(2024, 2, 1)


# --- gunicorn -------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Gunicorn:
    """`gunicorn pv_tracker.wsgi:application` in its own process group, on a free port."""

    def __init__(self, *, database_url, workers=4, threads=2, env=None, log_path=None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = Path(log_path or tempfile.mkstemp(prefix="gunicorn-", suffix=".log")[1])
        self.env = {**os.environ, "DATABASE_URL": database_url, "DJANGO_SETTINGS_MODULE": "pv_tracker.settings",
                    **(env or {})}
        # The load test measures the app, not the request log.
        self.env.setdefault("LOG_LEVEL", "WARNING")
        self.command = [str(Path(sys.executable).with_name("gunicorn")), "pv_tracker.wsgi:application",
                        "--bind", f"127.0.0.1:{self.port}", "--workers", str(workers), "--threads", str(threads),
                        "--timeout", "60", "--graceful-timeout", "5"]
        self.process = None

    def start(self, timeout=60):
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(self.command, cwd=ROOT, env=self.env, stdout=log,
                                            stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.process.returncode}:\n{self.log()[-3000:]}")
            try:
                with urllib.request.urlopen(f"{self.url}/accounts/login/", timeout=2) as response:
                    if response.status == 200:
                        return self
            except (urllib.error.URLError, ConnectionError, socket.timeout):
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"gunicorn did not answer within {timeout}s:\n{self.log()[-3000:]}")

    def stop(self):
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=15)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


# --- HTTP sessions --------------------------------------------------------------------------

class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


@dataclass
class Response:
    status: int
    body: str
    location: str = ""
    seconds: float = 0.0


class Session:
    """One logged-in browser: a cookie jar (session + CSRF cookies); redirects are not followed.

    Thread-safe for concurrent requests of the same user (the cookie jar locks itself).
    """

    def __init__(self, base_url):
        self.base_url = base_url
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies), _NoRedirect)

    def request(self, path, data=None, timeout=60) -> Response:
        body = urllib.parse.urlencode(data, doseq=True).encode() if data is not None else None
        request = urllib.request.Request(self.base_url + path, data=body)
        if data is not None:
            request.add_header("Referer", self.base_url + path)  # Django checks it (like a browser sends it)
        started = time.perf_counter()
        try:
            with self.opener.open(request, timeout=timeout) as response:
                status, headers, content = response.status, response.headers, response.read()
        except urllib.error.HTTPError as error:  # 3xx (not followed), 4xx, 5xx
            status, headers, content = error.code, error.headers, error.read()
        return Response(status=status, body=content.decode("utf-8", "replace"),
                        location=headers.get("Location", ""), seconds=time.perf_counter() - started)

    def get(self, path):
        return self.request(path)

    def post(self, path, data):
        return self.request(path, data)

    def csrf_token(self, path) -> tuple[str, Response]:
        """Load a form page; return the CSRF token of its form."""
        page = self.get(path)
        match = CSRF_INPUT_RE.search(page.body)
        if page.status != 200 or not match:
            raise RuntimeError(f"GET {path} gave {page.status} without a CSRF token")
        return match.group(1), page

    def login(self, username, password):
        token, _ = self.csrf_token("/accounts/login/")
        response = self.post("/accounts/login/", {"csrfmiddlewaretoken": token, "username": username,
                                                  "password": password})
        if response.status != 302:
            raise RuntimeError(f"Login of {username} failed with {response.status}")
        return self


# --- the load -------------------------------------------------------------------------------

@dataclass
class Submission:
    ref: str
    patient_pk: int
    onset: date
    session: Session = field(repr=False)
    status: int = 0
    location: str = ""
    post_seconds: float = 0.0
    total_seconds: float = 0.0
    error: str = ""


def reaction_form_data(*, ref, product_pk, onset):
    return {"reaction_ref": ref, "product": product_pk, "onset_date": onset.isoformat(),
            "resolution_date": (onset + timedelta(days=14)).isoformat(), "severity": "mild",
            "ctcae_grade": "", "symptoms": ["erythema", "pain"], "outcome": "recovered",
            "action_taken": "unchanged", "injection_site": "thigh_left", "diameter_mm": "25",
            "reporter_qualification": "physician", "narrative": f"Load test {ref}",
            "meddra_llt_code": "", "meddra_version": ""}


def plan_submissions(*, sessions_by_site, patients_by_site, count, prefix, first_onset=FIRST_ONSET):
    """`count` submissions spread over the users and patients; no two share patient and onset date
    (that would be a probable duplicate, which asks for a confirmation instead of saving)."""
    plans = []
    sites = sorted(patients_by_site)
    for n in range(count):
        site = sites[n % len(sites)]
        patients, sessions = patients_by_site[site], sessions_by_site[site]
        k = n // len(sites)
        plans.append(Submission(ref=f"{prefix}-{n:04d}", patient_pk=patients[k % len(patients)],
                                onset=first_onset + timedelta(days=k // len(patients)),
                                session=sessions[k % len(sessions)]))
    return plans


def submit(submission: Submission, product_pk):
    started = time.perf_counter()
    path = f"/reactions/new/{submission.patient_pk}/"
    try:
        token, _ = submission.session.csrf_token(path)
        data = {"csrfmiddlewaretoken": token,
                **reaction_form_data(ref=submission.ref, product_pk=product_pk, onset=submission.onset)}
        response = submission.session.post(path, data)
    except Exception as exc:  # a refused connection or a timeout is a failed submission, not a crash
        submission.error = f"{type(exc).__name__}: {exc}"
        submission.total_seconds = time.perf_counter() - started
        return submission
    submission.status, submission.location = response.status, response.location
    submission.post_seconds, submission.total_seconds = response.seconds, time.perf_counter() - started
    if response.status != 302:
        submission.error = re.sub(r"\s+", " ", response.body)[:300]
    return submission


def run_submissions(plans, *, product_pk, concurrency):
    """Send every planned submission from `concurrency` threads; returns (submissions, wall seconds)."""
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        done = list(pool.map(lambda plan: submit(plan, product_pk), plans))
    return done, time.perf_counter() - started


def percentile(values, fraction):
    """Nearest-rank percentile (p50 = median of the sorted values, p95 = 95th of 100)."""
    ordered = sorted(values)
    if not ordered:
        return None
    rank = max(1, -(-len(ordered) * fraction // 1))  # ceil(n * fraction)
    return ordered[int(rank) - 1]


def latency_stats(submissions, wall_seconds):
    posts = [s.post_seconds for s in submissions if s.status == 302]
    rounds = [s.total_seconds for s in submissions if s.status == 302]
    return {
        "submissions": len(submissions),
        "saved": len(posts),
        "wall_seconds": round(wall_seconds, 3),
        "throughput_per_second": round(len(posts) / wall_seconds, 1) if wall_seconds else None,
        "post_p50_ms": round(1000 * percentile(posts, 0.5), 1) if posts else None,
        "post_p95_ms": round(1000 * percentile(posts, 0.95), 1) if posts else None,
        "post_max_ms": round(1000 * max(posts), 1) if posts else None,
        "form_and_post_p50_ms": round(1000 * percentile(rounds, 0.5), 1) if rounds else None,
        "form_and_post_p95_ms": round(1000 * percentile(rounds, 0.95), 1) if rounds else None,
        "mean_post_ms": round(1000 * statistics.fmean(posts), 1) if posts else None,
    }


def edit_form_data(body):
    """The fields of a loaded reaction edit form, as the browser would post them back."""
    data = {"csrfmiddlewaretoken": CSRF_INPUT_RE.search(body).group(1)}
    for name, value in re.findall(r'<input type="hidden" name="(version)" value="(\d+)"', body):
        data[name] = value
    return data


def race_edits(session_a, session_b, *, reaction_pk, data_a, data_b):
    """Two users load the edit form of the same reaction version, then post at the same instant.

    `data_a` / `data_b` are the full form data minus the CSRF token and version, which come
    from each user's own form page. Returns the two responses.
    """
    path = f"/reactions/{reaction_pk}/edit/"
    forms = []
    for session, data in ((session_a, data_a), (session_b, data_b)):
        page = session.get(path)
        forms.append((session, {**data, **edit_form_data(page.body)}))
    versions = {form["version"] for _, form in forms}
    if len(versions) != 1:
        raise RuntimeError(f"The two forms loaded different versions: {versions}")
    barrier = threading.Barrier(2)

    def post(session, data):
        barrier.wait()
        return session.post(path, data)

    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = [pool.submit(post, session, data) for session, data in forms]
        return [future.result() for future in futures]


# --- standalone run -------------------------------------------------------------------------

def setup_django(database_url):
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pv_tracker.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def seed(*, password, users_per_site=3, patients_per_site=10, prefix="LOAD"):
    """Sites, reporters and exposed patients for the run (get_or_create: re-runs reuse them)."""
    from django.contrib.auth.models import Group

    from apps.accounts.models import Site, User
    from apps.exposures.models import ExposurePeriod
    from apps.patients.models import Patient
    from apps.products.models import Product

    product = Product.objects.get(code="anakinra")
    reporter_group, _ = Group.objects.get_or_create(name="reporter")
    users_by_site, patients_by_site = {}, {}
    for s in range(2):
        site, _ = Site.objects.get_or_create(code=f"{prefix.lower()}-site-{s + 1}",
                                             defaults={"name": f"Load site {s + 1}"})
        users = []
        for u in range(users_per_site):
            user, created = User.objects.get_or_create(username=f"{prefix.lower()}-reporter-{s + 1}-{u + 1}",
                                                       defaults={"site": site})
            if created:
                user.set_password(password)
                user.save()
                user.groups.add(reporter_group)
            users.append(user.username)
        patients = []
        for p in range(patients_per_site):
            patient, created = Patient.objects.get_or_create(
                site=site, patient_ref=f"{prefix}-{s + 1}-{p + 1:03d}", defaults={"sex": "female", "birth_year": 1970})
            if created:
                ExposurePeriod.objects.create(patient=patient, product=product, start_date=date(2024, 1, 1),
                                              dose_mg_per_day=100, route="subcutaneous", lot_number="LOAD")
            patients.append(patient.pk)
        users_by_site[site.code], patients_by_site[site.code] = users, patients
    return product.pk, users_by_site, patients_by_site


def next_free_onset(patients_by_site):
    """The day after the last onset of an earlier run on the same patients (a re-run must not
    send probable duplicates of its own earlier reactions)."""
    from django.db.models import Max

    from apps.reactions.models import InjectionSiteReaction

    pks = [pk for pks in patients_by_site.values() for pk in pks]
    last = InjectionSiteReaction.objects.filter(patient_id__in=pks).aggregate(last=Max("onset_date"))["last"]
    return last + timedelta(days=1) if last else FIRST_ONSET


def check_stored(refs):
    """Problems with the stored reactions of `refs`: each must exist once, with one history row."""
    from django.db.models import Count

    from apps.reactions.models import InjectionSiteReaction

    problems = []
    stored = dict(InjectionSiteReaction.objects.filter(reaction_ref__in=refs).values_list("reaction_ref")
                  .annotate(n=Count("pk")).values_list("reaction_ref", "n"))
    history = dict(InjectionSiteReaction.history.filter(reaction_ref__in=refs).values_list("reaction_ref")
                   .annotate(n=Count("history_id")).values_list("reaction_ref", "n"))
    for ref in refs:
        if stored.get(ref) != 1:
            problems.append(f"{ref}: stored {stored.get(ref, 0)} times")
        if history.get(ref) != 1:
            problems.append(f"{ref}: {history.get(ref, 0)} history rows")
    return problems


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="a database to throw away (default: a fresh SQLite file)")
    parser.add_argument("--requests", type=int, default=200, help="number of submissions (default 200)")
    parser.add_argument("--concurrency", type=int, default=16, help="client threads (default 16)")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)
    if args.requests < 1 or args.concurrency < 1:
        parser.error("--requests and --concurrency must be at least 1")

    folder = tempfile.mkdtemp(prefix="pv-load-")
    os.environ.setdefault("PV_VAR_DIR", folder)
    database_url = args.database_url or f"sqlite:///{folder}/load.sqlite3"
    setup_django(database_url)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    password = "load-test-password-2026"
    product_pk, users_by_site, patients_by_site = seed(password=password)

    with Gunicorn(database_url=database_url, workers=args.workers, threads=args.threads,
                  env={"PV_VAR_DIR": os.environ["PV_VAR_DIR"]}) as server:
        sessions_by_site = {site: [Session(server.url).login(name, password) for name in names]
                            for site, names in users_by_site.items()}
        prefix = f"LOAD-{int(time.time())}"
        plans = plan_submissions(sessions_by_site=sessions_by_site, patients_by_site=patients_by_site,
                                 count=args.requests, prefix=prefix, first_onset=next_free_onset(patients_by_site))
        done, wall = run_submissions(plans, product_pk=product_pk, concurrency=args.concurrency)
        stats = latency_stats(done, wall)
        problems = [f"{s.ref}: HTTP {s.status} {s.error}" for s in done if s.status != 302]
        problems += check_stored([s.ref for s in done])

        # Two users of one site edit the same draft from the same version: exactly one wins.
        site = sorted(sessions_by_site)[0]
        first = next(s for s in done if s.status == 302 and s.session in sessions_by_site[site])
        pk = int(first.location.rstrip("/").split("/")[-1])
        base = reaction_form_data(ref=first.ref, product_pk=product_pk, onset=first.onset)
        base.pop("reaction_ref"), base.pop("product")
        a, b = sessions_by_site[site][0], sessions_by_site[site][1]
        results = race_edits(a, b, reaction_pk=pk, data_a={**base, "severity": "moderate"},
                             data_b={**base, "narrative": "the other edit"})
        statuses = sorted(r.status for r in results)
        losers = [r for r in results if r.status == 200]
        if statuses != [200, 302] or CONFLICT_MESSAGE not in losers[0].body:
            problems.append(f"Concurrent edits: expected one 302 and one conflict, got {statuses}")
        stats["edit_race"] = statuses
        if "Internal Server Error" in server.log() or " 500 " in server.log():
            problems.append("gunicorn logged a server error")

    stats["database"] = database_url.split(":", 1)[0]
    stats["problems"] = problems
    print(json.dumps(stats, indent=2))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
