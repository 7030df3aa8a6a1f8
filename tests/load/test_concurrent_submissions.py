"""Concurrent form submissions to a real gunicorn (4 workers × 2 threads) on the suite's database.

On the SQLite pass this is the WAL + busy timeout + IMMEDIATE transaction set-up; on the
PostgreSQL pass, PostgreSQL. Data are committed (`transaction=True`) so that gunicorn's
processes see them. Latency and throughput go to test-artifacts/load/<backend>.json.
"""
import json
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

import pytest
from django.db import connection

from apps.reactions.models import InjectionSiteReaction
from scripts.load_submit import (CONFLICT_MESSAGE, Gunicorn, Session, check_stored, latency_stats,
                                 plan_submissions, race_edits, reaction_form_data, run_submissions)
from tests.factories import ExposurePeriodFactory, PatientFactory, ReactionFactory, SiteFactory, UserFactory
from tests.reports.conftest import worker_database_url

pytestmark = [pytest.mark.load, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

SUBMISSIONS = 60
CONCURRENCY = 16
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "load"


@pytest.fixture(scope="module")
def server(django_db_setup, django_db_blocker, tmp_path_factory):
    """One gunicorn for the module, on the test database (it outlives each test's flush)."""
    with django_db_blocker.unblock():
        database_url = worker_database_url()
    server = Gunicorn(database_url=database_url, workers=4, threads=2,
                      log_path=tmp_path_factory.mktemp("gunicorn") / "gunicorn.log")
    server.start()
    yield server
    server.stop()


def make_cohort(product, *, sites=("site-01", "site-02"), reporters=3, patients=5):
    """Reporters and exposed patients per site (each user costs a password hash: keep them few)."""
    users, patient_pks = {}, {}
    for code in sites:
        site = SiteFactory(code=code)
        users[code] = [UserFactory(username=f"{code}-reporter-{n}", site=site, roles=["reporter"])
                       for n in range(reporters)]
        patient_pks[code] = []
        for n in range(patients):
            patient = PatientFactory(site=site, patient_ref=f"{code}-P{n}")
            ExposurePeriodFactory(patient=patient, product=product, start_date=date(2024, 1, 1))
            patient_pks[code].append(patient.pk)
    return users, patient_pks


def sessions(server, users, password):
    return {code: [Session(server.url).login(user.username, password) for user in site_users]
            for code, site_users in users.items()}


def assert_no_server_error(server):
    log = server.log()
    assert "Internal Server Error" not in log and "Traceback" not in log, log[-3000:]


def test_concurrent_submissions_are_each_stored_exactly_once(server, product, password):
    users, patients = make_cohort(product)
    plans = plan_submissions(sessions_by_site=sessions(server, users, password), patients_by_site=patients,
                             count=SUBMISSIONS, prefix="LOAD")
    done, wall = run_submissions(plans, product_pk=product.pk, concurrency=CONCURRENCY)

    failures = [(s.ref, s.status, s.error) for s in done if s.status != 302]
    assert not failures
    assert all(s.location.startswith("/reactions/") for s in done)
    refs = [s.ref for s in done]
    assert check_stored(refs) == []
    assert InjectionSiteReaction.objects.count() == SUBMISSIONS
    # Each reaction is stored under the reporter and patient that sent it.
    by_ref = {r.reaction_ref: r for r in InjectionSiteReaction.objects.select_related("reporter", "patient")}
    for submission in done:
        reaction = by_ref[submission.ref]
        assert reaction.patient_id == submission.patient_pk and reaction.onset_date == submission.onset
        assert reaction.reporter.site_id == reaction.patient.site_id
    assert_no_server_error(server)

    stats = {**latency_stats(done, wall), "backend": connection.vendor, "concurrency": CONCURRENCY,
             "gunicorn": "4 workers x 2 threads"}
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / f"{connection.vendor}.json").write_text(json.dumps(stats, indent=2))
    print(json.dumps(stats))


def test_of_two_concurrent_edits_of_one_version_exactly_one_wins(server, product, password):
    users, patients = make_cohort(product, sites=("site-01",), reporters=2, patients=1)
    reporter_a, reporter_b = users["site-01"][:2]
    draft = ReactionFactory(patient_id=patients["site-01"][0], product=product, reaction_ref="R-RACE",
                            status="draft", reporter=reporter_a, onset_date=date(2024, 3, 1),
                            resolution_date=date(2024, 3, 10))
    session_a = Session(server.url).login(reporter_a.username, password)
    session_b = Session(server.url).login(reporter_b.username, password)
    base = reaction_form_data(ref="R-RACE", product_pk=product.pk, onset=date(2024, 3, 1))
    del base["reaction_ref"], base["product"]

    rounds = 5
    for round_ in range(rounds):
        results = race_edits(session_a, session_b, reaction_pk=draft.pk,
                             data_a={**base, "narrative": f"A{round_}"}, data_b={**base, "narrative": f"B{round_}"})
        assert sorted(r.status for r in results) == [200, 302], [r.status for r in results]
        winner = next(r for r in results if r.status == 302)
        loser = next(r for r in results if r.status == 200)
        assert CONFLICT_MESSAGE in loser.body
        draft.refresh_from_db()
        # The winner's narrative is stored, the loser's is not.
        assert draft.narrative == ("A" if results[0] is winner else "B") + str(round_)
        assert draft.version == round_ + 2

    assert draft.history.count() == 1 + rounds
    assert_no_server_error(server)


def test_two_concurrent_submissions_of_the_same_event_do_not_both_skip_the_duplicate_check(
        server, product, password):
    """Same patient, product and onset sent twice at once: one is saved, the other must be
    asked for the duplicate confirmation (the check and the insert must not interleave)."""
    users, patients = make_cohort(product, sites=("site-02",), reporters=2, patients=1)
    patient_pk = patients["site-02"][0]
    first, second = (Session(server.url).login(user.username, password) for user in users["site-02"][:2])
    path = f"/reactions/new/{patient_pk}/"
    results = []
    for attempt in range(3):
        posts = []
        for n, session in enumerate((first, second)):
            token, _ = session.csrf_token(path)
            data = reaction_form_data(ref=f"DUP-{attempt}-{n}", product_pk=product.pk, onset=date(2024, 4, 1 + attempt))
            posts.append((session, {"csrfmiddlewaretoken": token, **data}))
        barrier = threading.Barrier(2)

        def post(session, data):
            barrier.wait()
            return session.post(path, data)

        with ThreadPoolExecutor(max_workers=2) as pool:
            results.append([f.result() for f in [pool.submit(post, *item) for item in posts]])

    for attempt, pair in enumerate(results):
        statuses = sorted(r.status for r in pair)
        assert statuses == [200, 302], (attempt, statuses)
        assert "Probable duplicate of" in next(r for r in pair if r.status == 200).body
        assert InjectionSiteReaction.objects.filter(onset_date=date(2024, 4, 1 + attempt)).count() == 1
    assert_no_server_error(server)
