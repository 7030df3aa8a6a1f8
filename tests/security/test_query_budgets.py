"""A query budget for every page (each URL of the access matrix, as each role) and every form POST.

The pages come from the access-matrix test's EXPECTATIONS, so a new URL gets a budget as soon as
it gets its access expectations. Queries are counted per request, on a logged-in session, inside
a transaction rolled back afterwards (every role sees the same records); the transaction's own
savepoints are counted, since each is a round trip. A page over budget fails with its queries.
"""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import SIGN_EXPORT, SIGN_REVIEW, SIGN_VOID

from .test_url_access import EXPECTATIONS, ROLES, url_names, url_of

pytestmark = pytest.mark.django_db

PAGE_BUDGET = 15  # queries of any page, for any role (fewer than this)
POST_BUDGET = 16  # a form submission: the form's reads, the service's checks and locks, the save and its history
# Pages allowed more, and why. The summaries page computes its eight tables on the first request after a
# change (a cache hit afterwards); the E2B export GET validates the case and records the export.
# The dashboard of a reporter lists their own work (drafts, returned cases, returned follow-ups) beside the
# policy's role checks.
PAGE_BUDGET_EXCEPTIONS = {"summaries:index": 18, "e2b:reaction_export": 16, "dashboard:home": 18}
# What the records-that-hold rules add to a submission: the check for reviewed cases that report the record
# (edits), the signer's re-authentication through the backends and the signature row (signed acts), the
# access-log row (exports, logins). Submission, review and voids of records with cases also read whom to
# notify and the cases' open follow-ups. An exposure edit also locks the patient, whose reactions it re-checks.
POST_BUDGET_EXCEPTIONS = {"patients:update": 17, "exposures:update": 18, "patients:void": 22, "exposures:void": 23,
                          "reactions:submit": 17, "reactions:review": 19, "e2b:batch_export": 20, "login": 19}


def counted_request(client, user, method, url, payload):
    client.logout()
    if user is not None:
        client.force_login(user)
    with transaction.atomic():
        with CaptureQueriesContext(connection) as queries:
            response = getattr(client, method)(url, payload)
        transaction.set_rollback(True)
    return response, [query["sql"] for query in queries.captured_queries]


def over_budget(where, response, queries, budget):
    if len(queries) < budget:
        return []
    listing = "\n    ".join(sql[:200] for sql in queries)
    return [f"{where}: {len(queries)} queries (budget < {budget}), HTTP {response.status_code}:\n    {listing}"]


@pytest.mark.parametrize("name", sorted(set(url_names())))
def test_every_page_stays_within_its_query_budget_for_every_role(name, client, users, world):
    failures = []
    for probe in EXPECTATIONS[name]:
        if probe.method != "get":
            continue
        url = url_of(name, probe.kwargs(world))
        for role in ROLES:
            response, queries = counted_request(client, users[role], "get", url, probe.query)
            failures += over_budget(f"GET {url} {probe.query or ''} as {role}", response, queries,
                                    PAGE_BUDGET_EXCEPTIONS.get(name, PAGE_BUDGET))
    assert not failures, "\n".join(failures)


def reaction_data(**changes):
    return {"reaction_ref": "R-NEW-1", "onset_date": "2025-04-02", "resolution_date": "2025-04-09",
            "severity": "mild", "symptoms": ["erythema"], "outcome": "recovered", "action_taken": "unchanged",
            "injection_site": "abdomen_left", "diameter_mm": "20", "reporter_qualification": "physician",
            "narrative": "", "meddra_llt_code": "", "meddra_version": "", **changes}


# (URL name, kwargs, data, role, expected status): every form of the application, submitted valid.
FORM_POSTS = [
    ("patients:create", lambda w: {}, lambda w: {"site": w.patient.site_id, "patient_ref": "P-NEW", "sex": "female",
                                                "birth_year": "1970"}, "reporter", 302),
    ("patients:update", lambda w: {"pk": w.free_patient.pk},
     lambda w: {"site": w.free_patient.site_id, "patient_ref": "P-SEC-2", "sex": "male", "birth_year": "1971",
                "version": w.free_patient.version}, "reporter", 302),
    ("patients:void", lambda w: {"pk": w.patient.pk}, lambda w: {"reason": "entered twice", **SIGN_VOID},
     "reviewer", 302),
    ("exposures:create", lambda w: {"patient_pk": w.free_patient.pk},
     lambda w: {"product": w.exposure.product_id, "start_date": "2024-06-01", "end_date": "2024-12-01", "dose_mg_per_day": "100",
                "route": "subcutaneous", "lot_number": "L2"}, "reporter", 302),
    ("exposures:update", lambda w: {"pk": w.free_exposure.pk},
     lambda w: {"product": w.free_exposure.product_id, "start_date": "2025-01-01", "end_date": "",
                "dose_mg_per_day": "150", "route": "subcutaneous", "lot_number": "L1",
                "version": w.free_exposure.version}, "reporter", 302),
    ("exposures:void", lambda w: {"pk": w.free_exposure.pk},
     lambda w: {"reason": "wrong patient", **SIGN_VOID}, "reviewer", 302),
    ("reactions:create", lambda w: {"patient_pk": w.patient.pk},
     lambda w: reaction_data(product=w.draft.product_id), "reporter", 302),
    ("reactions:update", lambda w: {"pk": w.draft.pk},
     lambda w: {**reaction_data(onset_date="2025-02-01", resolution_date="2025-02-03"), "version": w.draft.version},
     "reporter", 302),
    ("reactions:submit", lambda w: {"pk": w.draft.pk}, lambda w: {}, "reporter", 302),
    ("reactions:review", lambda w: {"pk": w.submitted.pk},
     lambda w: {"causality": "probable", "meddra_llt_code": "10022086", "meddra_version": "27.1", **SIGN_REVIEW},
     "reviewer", 302),
    ("reactions:void", lambda w: {"pk": w.draft.pk}, lambda w: {"reason": "entered twice", **SIGN_VOID},
     "reporter", 302),
    ("reports:run", lambda w: {}, lambda w: {"product": w.draft.product_id, "as_of": "2025-06-30"}, "analyst", 302),
    ("e2b:batch_export", lambda w: {}, lambda w: {"reaction": [w.reviewed.pk], **SIGN_EXPORT}, "reviewer", 200),
    ("logout", lambda w: {}, lambda w: {}, "reporter", 302),
]


@pytest.mark.parametrize("name,kwargs,data,role,status", FORM_POSTS, ids=[post[0] for post in FORM_POSTS])
def test_every_form_post_stays_within_its_query_budget(name, kwargs, data, role, status, client, users, world):
    url = reverse(name, kwargs=kwargs(world))
    response, queries = counted_request(client, users[role], "post", url, data(world))
    assert response.status_code == status, response.content.decode()[:3000]
    failures = over_budget(f"POST {url} as {role}", response, queries, POST_BUDGET_EXCEPTIONS.get(name, POST_BUDGET))
    assert not failures, "\n".join(failures)


def test_the_login_post_stays_within_its_query_budget(client, users, password):
    response, queries = counted_request(client, None, "post", reverse("login"),
                                        {"username": users["reporter"].username, "password": password})
    assert response.status_code == 302
    assert not over_budget("POST login", response, queries, POST_BUDGET_EXCEPTIONS["login"])


def test_every_form_of_the_project_has_a_post_budget():
    """Each URL whose access expectations include a data-entry page is submitted above."""
    posted = {post[0] for post in FORM_POSTS} | {"login"}
    forms = {name for name in url_names() if name.split(":")[-1] in ("create", "update", "void", "submit", "review",
                                                                     "run", "batch_export")}
    assert forms <= posted, f"add a FORM_POSTS entry for {sorted(forms - posted)}"
