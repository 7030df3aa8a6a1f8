"""Property-based calls against the OpenAPI schema: no server error, no response outside the schema.

Bounded (a few examples per operation) to keep `make test` short; run as a reviewer who may
read everything and as a reporter bound to a site (whose other-site ids must be 404s, never 500s).
"""
from collections import Counter

from datetime import date

import pytest
import schemathesis
from schemathesis import checks
from hypothesis import HealthCheck, given, settings
from rest_framework.authtoken.models import Token

from apps.products.models import Product
from apps.reports.services import report_request
from pv_tracker.wsgi import application
from tests.factories import ExposurePeriodFactory, PatientFactory, ReactionFactory, UserFactory

MAX_EXAMPLES = 8


@pytest.fixture
def keep_test_connection():
    """The WSGI handler closes the connection after each request; the test's transaction must outlive it
    (Django's own test client does the same)."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture(params=["reviewer", "reporter"])
def api_token(request, db, site, keep_test_connection):
    """A central reviewer (reads everything) and a site-bound reporter (reads site-01 only, writes drafts)."""
    user = UserFactory(username=f"api-{request.param}", roles=[request.param],
                       site=site if request.param == "reporter" else None)
    patient = PatientFactory(site=site, patient_ref="P-ST-1")
    exposure = ExposurePeriodFactory(patient=patient)
    reaction = ReactionFactory(patient=patient, reaction_ref="R-ST-1")
    report = report_request(product=Product.objects.get(code="anakinra"), as_of=date(2025, 6, 30), queue=False)
    request.node.known_ids = {"patients": patient.pk, "exposures": exposure.pk, "reactions": reaction.pk,
                              "reports": report.pk, "reference-profiles": report.reference_profile_id}
    return Token.objects.create(user=user).key


@pytest.fixture
def api_schema(api_token):
    return schemathesis.openapi.from_wsgi("/api/schema/?format=json", application,
                                          headers={"Authorization": f"Token {api_token}"})


def api_token_role(key):
    return Token.objects.get(key=key).user.username.removeprefix("api-")


def test_the_api_honours_its_schema(api_schema, api_token, request):
    """Every operation of the schema: generated requests (valid and not), each response checked against it.

    (schemathesis' own pytest plugin does not run under this pytest; its strategies are driven directly.)
    """
    headers = {"Authorization": f"Token {api_token}"}
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 15
    statuses = Counter()

    for operation in operations:
        @settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy())
        def check(case):
            # A schema-valid request may still break a business rule (an id that does not exist, an onset
            # before the exposure): refusing it with a documented 400 is right, so that check is left out.
            response = case.call_and_validate(headers=headers, excluded_checks=[checks.positive_data_acceptance])
            statuses[(operation.label, response.status_code // 100)] += 1

        check()
        if "{id}" in operation.path:  # generated ids rarely exist (PostgreSQL's do not restart at 1): a known one
            collection = operation.path.split("/")[3]
            case = operation.Case(path_parameters={"id": request.node.known_ids[collection]})
            response = case.call_and_validate(headers=headers, excluded_checks=[checks.positive_data_acceptance])
            statuses[(operation.label, response.status_code // 100)] += 1
    # The run reached the records, not only the refusals: every read answered with data at least once
    # (reports are not for reporters).
    reads = {op.label for op in operations if op.method.upper() == "GET"}
    if api_token_role(api_token) == "reporter":
        reads = {label for label in reads if "/reports/" not in label}
    assert [label for label in sorted(reads) if not statuses[(label, 2)]] == [], statuses
