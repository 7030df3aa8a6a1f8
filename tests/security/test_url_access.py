"""Who gets what on every URL of the project.

The URL patterns are enumerated from the resolver, so a new URL without an entry in
EXPECTATIONS fails `test_every_url_has_an_access_expectation`. Each entry lists requests
(probes) and the status each role gets, in the order of ROLES. Another site's user gets
404 on a record (never 403, which would tell them the record exists).
"""
from dataclasses import dataclass, field
from typing import Callable

import pytest
from django.db import transaction
from django.urls import URLPattern, URLResolver, get_resolver, reverse

pytestmark = pytest.mark.django_db

ROLES = ("anonymous", "reporter", "other_reporter", "reviewer", "other_reviewer", "analyst", "admin")
LOGIN = "login"  # expected "status": a redirect to the login page


def url_names(patterns=None, namespace=None, prefix="/"):
    """Every URL of the project except the Django admin's own: 'namespace:name', or '/path' when unnamed."""
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            if pattern.app_name == "admin":
                continue
            inner = ":".join(filter(None, [namespace, pattern.namespace])) or None
            yield from url_names(pattern.url_patterns, inner, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            if not pattern.name:
                yield prefix + str(pattern.pattern)
            else:
                yield f"{namespace}:{pattern.name}" if namespace else pattern.name


def url_of(name, kwargs):
    return name if name.startswith("/") else reverse(name, kwargs=kwargs)


@dataclass
class Probe:
    statuses: tuple  # one per ROLES entry
    kwargs: Callable = lambda world: {}
    method: str = "get"
    query: dict = field(default_factory=dict)
    data: Callable = lambda world: {}
    content_type: str = "text/html"  # of the 200 responses

    def __post_init__(self):
        assert len(self.statuses) == len(ROLES), self


def pk(name):
    return lambda world: {"pk": getattr(world, name).pk}


def patient_pk(world):
    return {"patient_pk": world.patient.pk}


def report_pk(world):
    return {"pk": world.report.pk}


def summary_slug(world):
    return {"slug": "severity"}


#            anonymous reporter other_rep reviewer other_rev analyst admin
EVERYONE = (LOGIN, 200, 200, 200, 200, 200, 200)
SITE_01_READ = (LOGIN, 200, 404, 200, 404, 200, 200)
SITE_01_WRITE = (LOGIN, 200, 404, 200, 404, 403, 200)
DATA_ENTRY = (LOGIN, 200, 200, 200, 200, 403, 200)
REPORTS = (LOGIN, 403, 403, 200, 200, 200, 200)
SITE_01_REPORT = (LOGIN, 403, 403, 200, 404, 200, 200)
NOT_ALLOWED = (LOGIN, 405, 405, 405, 405, 405, 405)  # history is read-only: no POST anywhere
CSV, XLSX = "text/csv", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def list_probes():
    return [Probe(EVERYONE), Probe(EVERYONE, query={"_export": "csv"}, content_type=CSV),
            Probe(EVERYONE, query={"_export": "xlsx"}, content_type=XLSX),
            Probe(EVERYONE, query={"include_voided": "on"})]


def record_probes(name):
    """Detail, edit, void and history of a live site-01 record."""
    return {
        "detail": [Probe(SITE_01_READ, pk(name))],
        "update": [Probe(SITE_01_WRITE, pk(name))],
        "void": [Probe(SITE_01_WRITE, pk(name))],
        "history": [Probe(SITE_01_READ, pk(name)),
                    Probe((LOGIN, 405, 405, 405, 405, 405, 405), pk(name), method="post")],
    }


EXPECTATIONS = {
    "dashboard:home": [Probe(EVERYONE)],
    # The language switcher works for everyone, the login page included; it only sets a cookie.
    "set_language": [Probe((302,) * 7, method="post", data=lambda world: {"language": "it", "next": "/"}),
                     Probe((302,) * 7)],
    "/favicon.ico": [Probe((301,) * 7)],
    "login": [Probe((200,) * 7)],
    "logout": [Probe((302,) * 7, method="post"), Probe((405,) * 7)],
    "patients:list": list_probes(),
    "patients:create": [Probe(DATA_ENTRY)],
    **{f"patients:{key}": value for key, value in record_probes("patient").items()},
    "exposures:list": list_probes(),
    "exposures:create": [Probe(SITE_01_WRITE, patient_pk)],
    **{f"exposures:{key}": value for key, value in record_probes("exposure").items()},
    "reactions:list": list_probes(),
    "reactions:create": [Probe(SITE_01_WRITE, patient_pk)],
    "reactions:detail": [Probe(SITE_01_READ, pk(name)) for name in ("draft", "submitted", "reviewed")],
    "reactions:update": [
        Probe(SITE_01_WRITE, pk("draft")),
        # Once submitted, only reviewers edit; once reviewed, the report is locked for everyone.
        Probe((LOGIN, 403, 404, 200, 404, 403, 200), pk("submitted")),
        Probe((LOGIN, 403, 404, 403, 404, 403, 403), pk("reviewed")),
    ],
    "reactions:submit": [
        Probe((LOGIN, 405, 405, 405, 405, 405, 405), pk("draft")),
        Probe((LOGIN, 302, 404, 302, 404, 403, 302), pk("draft"), method="post"),
    ],
    "reactions:review": [
        Probe((LOGIN, 403, 404, 200, 404, 403, 200), pk("submitted")),
        Probe((LOGIN, 403, 404, 403, 404, 403, 403), pk("draft")),
        Probe((LOGIN, 403, 404, 403, 404, 403, 403), pk("reviewed")),
    ],
    "reactions:void": [
        Probe(SITE_01_WRITE, pk("draft")),
        Probe((LOGIN, 403, 404, 200, 404, 403, 200), pk("submitted")),
        Probe((LOGIN, 403, 404, 200, 404, 403, 200), pk("reviewed")),
    ],
    "reactions:report": [Probe(DATA_ENTRY), Probe(DATA_ENTRY, query={"patient_ref": "nobody"})],
    "reactions:return": [
        Probe((LOGIN, 403, 404, 200, 404, 403, 200), pk("submitted")),
        Probe((LOGIN, 403, 404, 403, 404, 403, 403), pk("draft")),
    ],
    "reactions:comment": [
        Probe((LOGIN, 405, 405, 405, 405, 405, 405), pk("submitted")),
        Probe((LOGIN, 302, 404, 302, 404, 403, 302), pk("submitted"), method="post",
              data=lambda world: {"text": "Please check the diameter."}),
    ],
    "reactions:followup_create": [
        Probe(SITE_01_WRITE, pk("reviewed")),
        Probe((LOGIN, 403, 404, 403, 404, 403, 403), pk("submitted")),
    ],
    "reactions:followup_update": [
        Probe(SITE_01_WRITE, pk("follow_up_draft")),
        Probe((LOGIN, 403, 404, 200, 404, 403, 200), pk("follow_up_submitted")),
    ],
    "reactions:followup_submit": [
        Probe((LOGIN, 405, 405, 405, 405, 405, 405), pk("follow_up_draft")),
        Probe((LOGIN, 302, 404, 302, 404, 403, 302), pk("follow_up_draft"), method="post"),
    ],
    "reactions:followup_return": [
        Probe((LOGIN, 403, 404, 200, 404, 403, 200), pk("follow_up_submitted")),
        Probe((LOGIN, 403, 404, 403, 404, 403, 403), pk("follow_up_draft")),
    ],
    "reactions:followup_review": [
        Probe((LOGIN, 405, 405, 405, 405, 405, 405), pk("follow_up_submitted")),
        Probe((LOGIN, 403, 404, 302, 404, 403, 302), pk("follow_up_submitted"), method="post"),
    ],
    "reactions:history": [Probe(SITE_01_READ, pk("reviewed")),
                          Probe((LOGIN, 405, 405, 405, 405, 405, 405), pk("reviewed"), method="post")],
    "imports:upload": [Probe(DATA_ENTRY)],
    # A site-bound user sees their own imports; central staff see every import.
    "imports:detail": [Probe((LOGIN, 200, 404, 200, 404, 403, 200), pk("import_job"))],
    "imports:status": [Probe((LOGIN, 200, 404, 200, 404, 403, 200), pk("import_job"),
                             content_type="application/json")],
    "reports:list": [Probe(REPORTS)],
    "reports:run": [Probe(REPORTS)],
    "reports:schedule": [Probe((LOGIN, 403, 403, 403, 403, 403, 200), lambda world: {"product_code": "anakinra"})],
    "reports:detail": [Probe(SITE_01_REPORT, report_pk)],
    "reports:status": [Probe(SITE_01_REPORT, report_pk, content_type="application/json")],
    "reports:download_json": [Probe(SITE_01_REPORT, report_pk, content_type="application/json")],
    "reports:download_csv": [Probe(SITE_01_REPORT, report_pk, content_type=CSV)],
    "summaries:index": [Probe(EVERYONE)],
    "summaries:detail": [Probe(EVERYONE, summary_slug),
                         Probe(EVERYONE, summary_slug, query={"format": "csv"}, content_type=CSV)],
    "e2b:reaction_export": [
        Probe((LOGIN, 403, 404, 200, 404, 403, 200), pk("submitted"), content_type="application/xml"),
        Probe(NOT_ALLOWED, pk("submitted"), method="post"),
    ],
    "e2b:case_exports": [Probe(SITE_01_READ, pk("submitted"))],
    "e2b:case_form": [Probe(SITE_01_READ, pk("submitted"))],
    "e2b:case_form_pdf": [Probe(SITE_01_READ, pk("submitted"), content_type="application/pdf")],
    "e2b:batch_export": [
        Probe((LOGIN, 403, 403, 200, 200, 403, 200)),
        # Another site's reviewer is refused the id like an id that does not exist.
        Probe((LOGIN, 403, 403, 200, 400, 403, 200), method="post",
              data=lambda world: {"reaction": [world.reviewed.pk]}, content_type="application/xml"),
    ],
}


def test_every_url_has_an_access_expectation():
    names = list(url_names())
    missing = [name for name in names if name not in EXPECTATIONS]
    assert not missing, "\n".join(f"add an access expectation for {name}" for name in missing)
    stale = sorted(set(EXPECTATIONS) - set(names))
    assert not stale, f"expectations for URLs that no longer exist: {stale}"


def request_as(client, user, probe, url, world):
    """One request, rolled back afterwards so that every role sees the same records."""
    client.logout()
    if user is not None:
        client.force_login(user)
    with transaction.atomic():
        payload = probe.data(world) if probe.method == "post" else probe.query
        response = getattr(client, probe.method)(url, payload)
        transaction.set_rollback(True)
    return response


@pytest.mark.parametrize("name", sorted(set(url_names())))
def test_each_role_gets_the_expected_status(name, client, users, world):
    assert name in EXPECTATIONS, f"add an access expectation for {name}"
    failures = []
    for probe in EXPECTATIONS[name]:
        url = url_of(name, probe.kwargs(world))
        for role, expected in zip(ROLES, probe.statuses):
            response = request_as(client, users[role], probe, url, world)
            where = f"{probe.method.upper()} {url} {probe.query or ''} as {role}"
            if expected == LOGIN:
                if response.status_code != 302 or not response["Location"].startswith(reverse("login")):
                    failures.append(f"{where}: {response.status_code}, expected a redirect to the login page")
            elif response.status_code != expected:
                failures.append(f"{where}: {response.status_code}, expected {expected}")
            elif expected == 200 and not response["Content-Type"].startswith(probe.content_type):
                failures.append(f"{where}: content type {response['Content-Type']}, expected {probe.content_type}")
    assert not failures, "\n".join(failures)


def test_only_staff_reach_the_django_admin(client, users):
    for role, user in users.items():
        client.logout()
        if user is not None:
            client.force_login(user)
        response = client.get(reverse("admin:index"))
        if role == "admin":
            assert response.status_code == 200
        else:
            assert response.status_code == 302 and response["Location"].startswith(reverse("admin:login")), role
