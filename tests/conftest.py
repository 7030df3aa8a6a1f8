"""Shared fixtures: one site per role pairing, and users for every role."""
from importlib import import_module

import pytest
from django.utils import translation

from tests.factories import PASSWORD, ExposurePeriodFactory, PatientFactory, SiteFactory, UserFactory, anakinra


@pytest.fixture
def site(db):
    return SiteFactory(code="site-01")


@pytest.fixture
def other_site(db):
    return SiteFactory(code="site-02")


@pytest.fixture
def product(db):
    return anakinra()


@pytest.fixture
def reporter(site):
    return UserFactory(username="reporter-01", site=site, roles=["reporter"])


@pytest.fixture
def other_reporter(other_site):
    return UserFactory(username="reporter-02", site=other_site, roles=["reporter"])


@pytest.fixture
def reviewer(db):
    return UserFactory(username="reviewer", roles=["reviewer"])


@pytest.fixture
def analyst(db):
    return UserFactory(username="analyst", roles=["analyst"])


@pytest.fixture
def admin_user(db):
    return UserFactory(username="admin", roles=["admin"], is_staff=True, is_superuser=True)


@pytest.fixture
def patient(site):
    return PatientFactory(site=site, patient_ref="P-001")


@pytest.fixture
def exposure(patient, product):
    return ExposurePeriodFactory(patient=patient, product=product)


@pytest.fixture
def sender(db):
    """The E2B sender organisation (settings of the exports)."""
    from apps.e2b.models import SenderOrganisation

    return SenderOrganisation.objects.create(
        sender_identifier="PVTRACK", receiver_identifier="EVHUMAN", organisation_name="PV Tracker Sponsor Ltd",
        country="GB", meddra_version="27.1", study_name="Anakinra ISR registry", sponsor_study_number="ISR-001")


@pytest.fixture
def password():
    return PASSWORD


# Data that migrations seed (role groups, anakinra and its reference profiles, the default
# report schedule). A transactional test empties every table when it ends, so the next one
# seeds them again; each seed function is idempotent.
SEED_FUNCTIONS = (
    ("apps.accounts.migrations.0002_role_groups", "create_groups"),
    ("apps.products.migrations.0002_seed_anakinra", "seed"),
    ("apps.products.migrations.0003_product_is_biological", "mark_biologicals"),
    ("apps.products.migrations.0004_seed_primary_horizon_and_cited_profiles", "seed"),
    ("apps.reports.migrations.0002_default_schedule", "create_schedule"),
)


@pytest.fixture(autouse=True)
def default_language():
    """Each test starts in the default language: a request's LocaleMiddleware leaves the reader's language
    active in the thread (an Italian page would turn the next test's lazy labels Italian)."""
    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def reseed_migration_data(request):
    marker = request.node.get_closest_marker("django_db")
    transactional = marker is not None and (marker.kwargs.get("transaction") or (marker.args and marker.args[0]))
    if not transactional:
        return
    request.getfixturevalue("transactional_db")
    from django.apps import apps

    for module, function in SEED_FUNCTIONS:
        getattr(import_module(module), function)(apps, None)
