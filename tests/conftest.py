"""Shared fixtures: one site per role pairing, and users for every role."""
import pytest

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
def password():
    return PASSWORD
