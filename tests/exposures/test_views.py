import csv
import io
from datetime import date

import pytest
from django.urls import reverse

from apps.exposures.models import ExposurePeriod
from tests.factories import ExposurePeriodFactory, PatientFactory, ProductFactory

pytestmark = pytest.mark.django_db


def period_data(product, **overrides):
    data = {"product": product.pk, "start_date": "2025-03-01", "end_date": "", "dose_mg_per_day": "100",
            "route": "subcutaneous", "lot_number": "L-1"}
    data.update(overrides)
    return data


@pytest.fixture
def as_user(client):
    def login(user):
        client.force_login(user)
        return client
    return login


def test_anonymous_users_are_sent_to_the_login_page(client, exposure):
    for url in (reverse("exposures:list"), reverse("exposures:create", args=[exposure.patient_id]),
                reverse("exposures:detail", args=[exposure.pk]), reverse("exposures:update", args=[exposure.pk]),
                reverse("exposures:void", args=[exposure.pk]), reverse("exposures:history", args=[exposure.pk])):
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith(reverse("login")), url


def test_a_reporter_adds_an_exposure_from_the_patient_page(as_user, reporter, patient, product):
    response = as_user(reporter).post(reverse("exposures:create", args=[patient.pk]), period_data(product))
    assert response.status_code == 302 and response.url == reverse("patients:detail", args=[patient.pk])
    period = ExposurePeriod.objects.get(patient=patient)
    assert period.start_date == date(2025, 3, 1) and period.is_ongoing


def test_the_form_uses_native_date_inputs_and_shows_help(as_user, reporter, patient):
    content = as_user(reporter).get(reverse("exposures:create", args=[patient.pk])).content.decode()
    assert 'type="date"' in content and "A dose change is a new period" in content


def test_an_overlapping_period_is_shown_on_the_start_date_field(as_user, reporter, exposure, product):
    response = as_user(reporter).post(reverse("exposures:create", args=[exposure.patient_id]),
                                      period_data(product, start_date="2025-06-01", end_date="2025-06-30"))
    assert response.status_code == 200
    assert response.context["form"].has_error("start_date", "overlapping_exposure")
    content = response.content.decode()
    assert 'data-error-for="start_date"' in content and "overlaps another exposure" in content
    assert ExposurePeriod.objects.count() == 1


def test_an_end_before_the_start_is_shown_on_the_end_date_field(as_user, reporter, patient, product):
    response = as_user(reporter).post(reverse("exposures:create", args=[patient.pk]),
                                      period_data(product, start_date="2025-03-01", end_date="2025-02-01"))
    assert response.context["form"].has_error("end_date", "end_before_start")
    assert "The end date is before the start date." in response.content.decode()


def test_a_future_start_is_shown_on_the_start_date_field(as_user, reporter, patient, product):
    response = as_user(reporter).post(reverse("exposures:create", args=[patient.pk]),
                                      period_data(product, start_date="2100-01-01"))
    assert response.context["form"].has_error("start_date", "future_date")


def test_a_dose_change_is_entered_as_end_then_new_period(as_user, reporter, exposure, product):
    client = as_user(reporter)
    response = client.post(reverse("exposures:update", args=[exposure.pk]),
                           period_data(product, start_date="2025-01-01", end_date="2025-02-28"))
    assert response.status_code == 302
    response = client.post(reverse("exposures:create", args=[exposure.patient_id]),
                           period_data(product, start_date="2025-03-01", dose_mg_per_day="200"))
    assert response.status_code == 302
    assert ExposurePeriod.objects.filter(patient=exposure.patient_id).count() == 2


def test_another_sites_reporter_gets_404_on_every_exposure_page(as_user, other_reporter, exposure, product):
    client = as_user(other_reporter)
    for name in ("detail", "update", "void", "history"):
        assert client.get(reverse(f"exposures:{name}", args=[exposure.pk])).status_code == 404, name
    assert client.get(reverse("exposures:create", args=[exposure.patient_id])).status_code == 404
    assert client.post(reverse("exposures:create", args=[exposure.patient_id]),
                       period_data(product, start_date="2024-01-01", end_date="2024-02-01")).status_code == 404
    assert ExposurePeriod.objects.count() == 1


def test_an_analyst_cannot_add_an_exposure(as_user, analyst, patient, product):
    client = as_user(analyst)
    assert client.get(reverse("exposures:create", args=[patient.pk])).status_code == 403
    assert client.post(reverse("exposures:create", args=[patient.pk]), period_data(product)).status_code == 403
    assert not ExposurePeriod.objects.exists()


def test_the_list_is_scoped_to_the_site_and_filters(as_user, reporter, exposure, other_site, product):
    other_patient = PatientFactory(site=other_site, patient_ref="OTHER-1")
    ExposurePeriodFactory(patient=other_patient, product=product)
    closed_patient = PatientFactory(site=exposure.patient.site, patient_ref="CLOSED-1")
    ExposurePeriodFactory(patient=closed_patient, product=product, start_date=date(2024, 5, 1),
                          end_date=date(2024, 6, 1))
    client = as_user(reporter)
    content = client.get(reverse("exposures:list")).content.decode()
    assert "P-001" in content and "CLOSED-1" in content and "OTHER-1" not in content
    content = client.get(reverse("exposures:list"), {"ongoing": "true"}).content.decode()
    assert "P-001" in content and "CLOSED-1" not in content
    content = client.get(reverse("exposures:list"),
                         {"start_date_after": "2024-01-01", "start_date_before": "2024-12-31"}).content.decode()
    assert "CLOSED-1" in content and "P-001" not in content


def test_the_list_filters_by_product(as_user, reviewer, exposure):
    other_product = ProductFactory(code="otherbio", name="Otherbio")
    ExposurePeriodFactory(patient=PatientFactory(patient_ref="OB-1"), product=other_product)
    content = as_user(reviewer).get(reverse("exposures:list"), {"product": other_product.pk}).content.decode()
    assert "OB-1" in content and "P-001" not in content


def test_the_export_holds_only_the_sites_rows(as_user, reporter, exposure, other_site, product):
    ExposurePeriodFactory(patient=PatientFactory(site=other_site, patient_ref="OTHER-1"), product=product)
    response = as_user(reporter).get(reverse("exposures:list"), {"_export": "csv"})
    rows = list(csv.reader(io.StringIO(response.getvalue().decode())))
    assert [row[0] for row in rows[1:]] == ["P-001"]


def test_void_and_history(as_user, reporter, exposure, product):
    client = as_user(reporter)
    client.post(reverse("exposures:update", args=[exposure.pk]),
                period_data(product, start_date="2025-01-01", lot_number="L-2"))
    response = client.post(reverse("exposures:void", args=[exposure.pk]), {"reason": "Wrong product"})
    assert response.status_code == 302
    assert "P-001" not in client.get(reverse("exposures:list")).content.decode()
    assert client.get(reverse("exposures:detail", args=[exposure.pk])).status_code == 200
    history = client.get(reverse("exposures:history", args=[exposure.pk])).content.decode()
    assert "LOT-1" in history and "L-2" in history and "Voided: Wrong product" in history
    assert "reporter-01" in history


def test_the_new_period_form_preselects_the_patients_last_product(as_user, reporter, exposure, product):
    response = as_user(reporter).get(reverse("exposures:create", args=[exposure.patient_id]))
    assert response.context["form"]["product"].value() == product.pk
