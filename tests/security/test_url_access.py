"""Who gets what on every URL of the project.

The URL patterns are enumerated from the resolver, so a new URL without an entry in
EXPECTATIONS fails `test_every_url_has_an_access_expectation`. Each entry lists requests
(probes) and the status each role gets, in the order of ROLES, and the status that the two
unusable accounts get (a user with no role, a reporter without a site): 403 unless the probe
says otherwise. Another site's user gets 404 on a record (never 403, which would tell them the
record exists).
"""
import json
from dataclasses import dataclass, field
from typing import Callable

import pytest
from django.db import transaction
from django.http import HttpResponse
from django.urls import URLPattern, URLResolver, get_resolver, include, path, reverse

from tests.factories import SIGN_EXPORT, SIGN_FOLLOW_UP, SIGN_RETURN, SIGN_REVIEW, SIGN_VOID

pytestmark = pytest.mark.django_db

ROLES = ("anonymous", "reporter", "other_reporter", "reviewer", "other_reviewer", "analyst", "admin")
UNUSABLE = ("no_role", "siteless_reporter")  # accounts that see nothing but a page saying why
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
    unusable: tuple = (403, 403)  # one per UNUSABLE entry
    json_body: bool = False  # send data as a JSON body (the API), not as a form

    def __post_init__(self):
        assert len(self.statuses) == len(ROLES), self
        assert len(self.unusable) == len(UNUSABLE), self

    def expectations(self):
        return zip(ROLES + UNUSABLE, self.statuses + self.unusable)


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
# A record that a reviewed (locked) case reports: reporters may no longer change it.
LOCKED_WRITE = (LOGIN, 403, 404, 200, 404, 403, 200)
DATA_ENTRY = (LOGIN, 200, 200, 200, 200, 403, 200)
REPORTS = (LOGIN, 403, 403, 200, 200, 200, 200)
ADMINS = (LOGIN, 403, 403, 403, 403, 403, 200)
CENTRAL_REVIEW = (LOGIN, 403, 403, 200, 403, 403, 200)  # received ICSRs belong to no site until triaged
SITE_01_REVIEW = (LOGIN, 403, 403, 200, 404, 403, 200)  # the role is checked before the record
SITE_01_REPORT = (LOGIN, 403, 403, 200, 404, 200, 200)
NOT_ALLOWED = (LOGIN, 405, 405, 405, 405, 405, 405)  # history is read-only: no POST anywhere
JSON, FHIR = "application/json", "application/fhir+json"
# The API answers 401 (not a login redirect) without credentials, and 201 to a create.
API_READ = (401, 200, 200, 200, 200, 200, 200)
API_SITE_01_READ = (401, 200, 404, 200, 404, 200, 200)
API_REPORTS = (401, 403, 403, 200, 200, 200, 200)
CSV, XLSX = "text/csv", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def list_probes():
    return [Probe(EVERYONE), Probe(EVERYONE, query={"_export": "csv"}, content_type=CSV),
            Probe(EVERYONE, query={"_export": "xlsx"}, content_type=XLSX),
            Probe(EVERYONE, query={"include_voided": "on"})]


def record_probes(name):
    """Detail, edit, void and history of a live site-01 record, one that a locked case reports and one not."""
    return {
        "detail": [Probe(SITE_01_READ, pk(name))],
        "update": [Probe(LOCKED_WRITE, pk(name)), Probe(SITE_01_WRITE, pk(f"free_{name}"))],
        "void": [Probe(LOCKED_WRITE, pk(name)), Probe(SITE_01_WRITE, pk(f"free_{name}"))],
        "history": [Probe(SITE_01_READ, pk(name)),
                    Probe((LOGIN, 405, 405, 405, 405, 405, 405), pk(name), method="post")],
    }


EXPECTATIONS = {
    "dashboard:home": [Probe(EVERYONE)],
    # The language switcher works for everyone, the login page included; it only sets a cookie.
    "set_language": [Probe((302,) * 7, method="post", data=lambda world: {"language": "it", "next": "/"},
                           unusable=(302, 302)),
                     Probe((302,) * 7, unusable=(302, 302))],
    "/favicon.ico": [Probe((301,) * 7, unusable=(301, 301))],
    "login": [Probe((200,) * 7, unusable=(200, 200))],
    "password_change": [Probe(EVERYONE)],
    "password_change_done": [Probe(EVERYONE)],
    "mfa_setup": [Probe(EVERYONE)],
    "mfa_verify": [Probe((LOGIN, 302, 302, 302, 302, 302, 302))],  # no authenticator yet: to the setup
    "logout": [Probe((302,) * 7, method="post", unusable=(302, 302)), Probe((405,) * 7, unusable=(405, 405))],
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
        Probe((LOGIN, 405, 405, 405, 405, 403, 405), pk("draft")),
        Probe((LOGIN, 302, 404, 302, 404, 403, 302), pk("draft"), method="post"),
    ],
    "reactions:review": [  # reporters and analysts are refused by their role before the record is looked up
        Probe((LOGIN, 403, 403, 200, 404, 403, 200), pk("submitted")),
        Probe((LOGIN, 403, 403, 403, 404, 403, 403), pk("draft")),
        Probe((LOGIN, 403, 403, 403, 404, 403, 403), pk("reviewed")),
        # Signed: locks; a wrong password shows the form again and locks nothing.
        Probe((LOGIN, 403, 403, 302, 404, 403, 302), pk("submitted"), method="post",
              data=lambda world: {"causality": "possible", **SIGN_REVIEW}),
        Probe((LOGIN, 403, 403, 200, 404, 403, 200), pk("submitted"), method="post",
              data=lambda world: {"causality": "possible", **SIGN_REVIEW, "password": "wrong"}),
    ],
    "reactions:void": [
        Probe(SITE_01_WRITE, pk("draft")),
        Probe((LOGIN, 302, 404, 302, 404, 403, 302), pk("draft"), method="post",
              data=lambda world: {"reason": "entered twice", **SIGN_VOID}),
        Probe((LOGIN, 403, 404, 200, 404, 403, 200), pk("submitted")),
        Probe((LOGIN, 403, 404, 200, 404, 403, 200), pk("reviewed")),
    ],
    "reactions:report": [Probe(DATA_ENTRY), Probe(DATA_ENTRY, query={"patient_ref": "nobody"})],
    "reactions:return": [  # reporters and analysts are refused by their role before the record is looked up
        Probe((LOGIN, 403, 403, 200, 404, 403, 200), pk("submitted")),
        Probe((LOGIN, 403, 403, 403, 404, 403, 403), pk("draft")),
        # Signed: returns; a wrong password shows the form again and changes nothing.
        Probe((LOGIN, 403, 403, 302, 404, 403, 302), pk("submitted"), method="post",
              data=lambda world: {"question": "Which arm?", **SIGN_RETURN}),
        Probe((LOGIN, 403, 403, 200, 404, 403, 200), pk("submitted"), method="post",
              data=lambda world: {"question": "Which arm?", **SIGN_RETURN, "password": "wrong"}),
    ],
    "reactions:comment": [
        Probe((LOGIN, 405, 405, 405, 405, 403, 405), pk("submitted")),
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
        Probe((LOGIN, 405, 405, 405, 405, 403, 405), pk("follow_up_draft")),
        Probe((LOGIN, 302, 404, 302, 404, 403, 302), pk("follow_up_draft"), method="post"),
    ],
    "reactions:followup_return": [
        Probe((LOGIN, 403, 403, 200, 404, 403, 200), pk("follow_up_submitted")),
        Probe((LOGIN, 403, 403, 403, 404, 403, 403), pk("follow_up_draft")),
        Probe((LOGIN, 403, 403, 302, 404, 403, 302), pk("follow_up_submitted"), method="post",
              data=lambda world: {"question": "Which date?", **SIGN_RETURN}),
    ],
    "reactions:followup_review": [  # the signature form, then the signed lock
        Probe((LOGIN, 403, 403, 200, 404, 403, 200), pk("follow_up_submitted")),
        Probe((LOGIN, 403, 403, 403, 404, 403, 403), pk("follow_up_draft")),
        Probe((LOGIN, 403, 403, 302, 404, 403, 302), pk("follow_up_submitted"), method="post",
              data=lambda world: SIGN_FOLLOW_UP),
        Probe((LOGIN, 403, 403, 200, 404, 403, 200), pk("follow_up_submitted"), method="post",
              data=lambda world: {**SIGN_FOLLOW_UP, "password": "wrong"}),
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
    "clocks:queue": [Probe(EVERYONE)],
    "fhir:bundle": [
        Probe((401, 405, 405, 405, 405, 405, 405), content_type=FHIR),
        # Another site's user cannot name a site-01 patient: an OperationOutcome (400), nothing created.
        Probe((401, 200, 400, 200, 400, 403, 200), method="post", content_type=FHIR, json_body=True,
              data=lambda world: {"resourceType": "Bundle", "type": "transaction", "entry": [{"resource": {
                  "resourceType": "AdverseEvent", "actuality": "actual", "identifier": {"value": "R-FHIR-SEC"},
                  "subject": {"reference": f"Patient/{world.patient.pk}"}, "date": "2025-04-02",
                  "severity": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/adverse-event-severity",
                                           "code": "mild"}]},
                  "outcome": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/adverse-event-outcome",
                                          "code": "ongoing"}]},
                  "contained": [{"resourceType": "Condition", "id": "course",
                                 "subject": {"reference": f"Patient/{world.patient.pk}"},
                                 "evidence": [{"code": [{"coding": [{"system": "urn:pv-tracker:symptom",
                                                                     "code": "pain"}]}]}]}],
                  "resultingCondition": [{"reference": "#course"}]}}]}),
    ],
    "fhir:adverse_event_search": [Probe(API_READ, content_type=FHIR)],
    "fhir:adverse_event": [Probe(API_SITE_01_READ, pk(name), content_type=FHIR) for name in ("draft", "reviewed")],
    "fhir:patient": [Probe(API_SITE_01_READ, pk("patient"), content_type=FHIR)],
    "fhir:medication_statement": [Probe(API_SITE_01_READ, pk("exposure"), content_type=FHIR)],
    "api:schema": [Probe(API_READ, content_type="application/vnd.oai.openapi")],
    "api:docs": [Probe(API_READ)],
    "api:patient-list": [
        Probe(API_READ, content_type=JSON),
        # Another site's reporter or reviewer cannot name site-01 (a field error); the analyst may not write.
        Probe((401, 201, 400, 201, 400, 403, 201), method="post", content_type=JSON, json_body=True,
              data=lambda world: {"site": "site-01", "patient_ref": "P-API", "sex": "female"}),
    ],
    "api:patient-detail": [Probe(API_SITE_01_READ, pk("patient"), content_type=JSON),
                           Probe((401, 405, 405, 405, 405, 405, 405), pk("patient"), method="patch", json_body=True)],
    "api:exposure-list": [
        Probe(API_READ, content_type=JSON),
        Probe((401, 201, 400, 201, 400, 403, 201), method="post", content_type=JSON, json_body=True,
              data=lambda world: {"patient": world.free_patient.pk, "product": "anakinra", "start_date": "2024-01-01",
                                  "end_date": "2024-06-30", "dose_mg_per_day": "100", "route": "subcutaneous"}),
    ],
    "api:exposure-detail": [Probe(API_SITE_01_READ, pk("exposure"), content_type=JSON)],
    "api:reaction-list": [
        Probe(API_READ, content_type=JSON),
        Probe((401, 201, 400, 201, 400, 403, 201), method="post", content_type=JSON, json_body=True,
              data=lambda world: {"reaction_ref": "R-API", "patient": world.patient.pk, "product": "anakinra",
                                  "onset_date": "2025-04-01", "severity": "mild", "symptoms": ["pain"],
                                  "outcome": "recovering"}),
    ],
    "api:reaction-detail": [
        *[Probe(API_SITE_01_READ, pk(name), content_type=JSON) for name in ("draft", "submitted", "reviewed")],
        Probe((401, 200, 404, 200, 404, 403, 200), pk("draft"), method="patch", content_type=JSON, json_body=True,
              data=lambda world: {"severity": "moderate"}),
        Probe((401, 403, 404, 200, 404, 403, 200), pk("submitted"), method="patch", content_type=JSON,
              json_body=True, data=lambda world: {"severity": "moderate", "reason": "Grade corrected"}),
        Probe((401, 403, 404, 403, 404, 403, 403), pk("reviewed"), method="patch", content_type=JSON,
              json_body=True, data=lambda world: {"severity": "moderate"}),
    ],
    "api:reaction-submit": [
        Probe((401, 200, 404, 200, 404, 403, 200), pk("draft"), method="post", content_type=JSON, json_body=True),
        Probe((401, 405, 405, 405, 405, 405, 405), pk("draft")),
    ],
    "api:report-list": [
        Probe(API_REPORTS, content_type=JSON),
        # A site-bound reviewer may only ask about their own site: the web form's field error.
        Probe((401, 403, 403, 201, 400, 201, 201), method="post", content_type=JSON, json_body=True,
              data=lambda world: {"product": "anakinra", "as_of": "2025-06-30", "site": "site-01"}),
    ],
    "api:report-detail": [Probe((401, 403, 403, 200, 404, 200, 200), report_pk, content_type=JSON)],
    "api:reference-profile-list": [Probe(API_READ, content_type=JSON),
                                   Probe((401, 405, 405, 405, 405, 405, 405), method="post", json_body=True)],
    "api:reference-profile-detail": [
        Probe(API_READ, lambda world: {"pk": world.report.reference_profile_id}, content_type=JSON)],
    "sdtm:reactions": [Probe(EVERYONE, content_type="application/zip")],
    "summaries:detail": [Probe(EVERYONE, summary_slug),
                         Probe(EVERYONE, summary_slug, query={"format": "csv"}, content_type=CSV)],
    "audit:access_log": [Probe(ADMINS), Probe(ADMINS, query={"kind": "export"})],
    "e2b:reaction_export": [
        # Reporters and analysts are refused by their role before any record is looked up.
        Probe((LOGIN, 403, 403, 200, 404, 403, 200), pk("submitted")),  # the signature form
        Probe((LOGIN, 403, 403, 200, 404, 403, 200), pk("submitted"), method="post", content_type="application/xml",
              data=lambda world: SIGN_EXPORT),
        Probe((LOGIN, 403, 403, 400, 404, 403, 400), pk("submitted"), method="post",
              data=lambda world: {**SIGN_EXPORT, "password": "wrong"}),
    ],
    "e2b:case_exports": [Probe(SITE_01_READ, pk("submitted"))],
    "e2b:case_nullify": [Probe(SITE_01_REVIEW, pk("submitted"))],
    "e2b:case_amend": [Probe(SITE_01_REVIEW, pk("submitted"))],
    "e2b:inbox": [Probe(CENTRAL_REVIEW)],
    "e2b:inbox_ack": [Probe(CENTRAL_REVIEW, pk("incoming_batch"), content_type="application/xml")],
    "e2b:incoming_case": [Probe(CENTRAL_REVIEW, pk("incoming_case"))],
    "e2b:incoming_dismiss": [Probe(CENTRAL_REVIEW, pk("incoming_case"))],
    "e2b:incoming_accept": [Probe(CENTRAL_REVIEW, pk("incoming_case"), query={"patient_ref": "P-SEC-1"})],
    "e2b:case_form": [Probe(SITE_01_READ, pk("submitted"))],
    "e2b:case_form_pdf": [Probe(SITE_01_READ, pk("submitted"), content_type="application/pdf")],
    "e2b:batch_export": [
        Probe((LOGIN, 403, 403, 200, 200, 403, 200)),
        # Another site's reviewer is refused the id like an id that does not exist.
        Probe((LOGIN, 403, 403, 200, 400, 403, 200), method="post",
              data=lambda world: {"reaction": [world.reviewed.pk], **SIGN_EXPORT}, content_type="application/xml"),
    ],
}


def test_every_url_has_an_access_expectation():
    names = list(url_names())
    missing = [name for name in names if name not in EXPECTATIONS]
    assert not missing, "\n".join(f"add an access expectation for {name}" for name in missing)
    stale = sorted(set(EXPECTATIONS) - set(names))
    assert not stale, f"expectations for URLs that no longer exist: {stale}"


def says_why(response):
    """A refusal names its reason: the 403 page, the API's `detail` (JSON, or YAML for the schema) or FHIR's
    OperationOutcome diagnostics."""
    if response["Content-Type"].startswith("text/html"):
        return b"data-reason" in response.content
    if response["Content-Type"].startswith("application/vnd.oai.openapi"):
        return response.content.startswith(b"detail:") and b"string: " in response.content
    body = json.loads(response.content)
    return bool(body.get("detail") or any(issue.get("diagnostics") for issue in body.get("issue", [])))


def request_as(client, user, probe, url, world):
    """One request, rolled back afterwards so that every role sees the same records."""
    client.logout()
    if user is not None:
        client.force_login(user)
    with transaction.atomic():
        payload = probe.data(world) if probe.method in ("post", "patch") else probe.query
        if probe.json_body:
            response = getattr(client, probe.method)(url, json.dumps(payload), content_type="application/json")
        else:
            response = getattr(client, probe.method)(url, payload)
        transaction.set_rollback(True)
    return response


@pytest.mark.parametrize("name", sorted(set(url_names())))
def test_each_role_gets_the_expected_status(name, client, users, world):
    assert name in EXPECTATIONS, f"add an access expectation for {name}"
    failures = []
    for probe in EXPECTATIONS[name]:
        url = url_of(name, probe.kwargs(world))
        for role, expected in probe.expectations():
            response = request_as(client, users[role], probe, url, world)
            where = f"{probe.method.upper()} {url} {probe.query or ''} as {role}"
            if expected == LOGIN:
                if response.status_code != 302 or not response["Location"].startswith(reverse("login")):
                    failures.append(f"{where}: {response.status_code}, expected a redirect to the login page")
            elif response.status_code != expected:
                failures.append(f"{where}: {response.status_code}, expected {expected}")
            elif expected == 200 and not response["Content-Type"].startswith(probe.content_type):
                failures.append(f"{where}: content type {response['Content-Type']}, expected {probe.content_type}")
            elif expected == 403 and not says_why(response):
                failures.append(f"{where}: a 403 that does not say why")
    assert not failures, "\n".join(failures)


def test_only_staff_reach_the_django_admin(client, users):
    for role, user in users.items():
        client.logout()
        if user is not None:
            client.force_login(user)
        response = client.get(reverse("admin:index"))
        if role == "admin":
            assert response.status_code == 200
        elif role in UNUSABLE:
            assert response.status_code == 403 and b"data-reason" in response.content, role
        else:
            assert response.status_code == 302 and response["Location"].startswith(reverse("admin:login")), role


def test_the_unusable_accounts_are_told_why(client, users):
    for role, words in (("no_role", b"no role"), ("siteless_reporter", b"bound to no site")):
        client.force_login(users[role])
        for url in ("/", reverse("reactions:list") + "?_export=csv", reverse("patients:list") + "?_export=csv",
                    reverse("exposures:list")):
            response = client.get(url)
            assert response.status_code == 403 and words in response.content, (role, url)


def undeclared_view(request):
    return HttpResponse("secret")


# The project's URLs plus one view that declares no rule (used as ROOT_URLCONF below).
urlpatterns = [path("undeclared/", undeclared_view), path("", include("pv_tracker.urls"))]
handler403 = "apps.core.views.permission_denied"


def test_a_view_without_an_access_rule_is_refused(client, admin_user, settings):
    """Deny by default: a page nobody declared a rule for is refused even to an administrator."""
    settings.ROOT_URLCONF = __name__
    client.force_login(admin_user)
    response = client.get("/undeclared/")
    assert response.status_code == 403 and b"secret" not in response.content
    assert b"declares no access rule" in response.content
