import csv
import io

import pytest
from django.urls import reverse

from apps.patients.models import Patient
from apps.patients.services import patient_update
from tests.factories import PASSWORD, ExposurePeriodFactory, PatientFactory, ReactionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def as_user(client):
    def login(user):
        client.force_login(user)
        return client
    return login


def test_anonymous_users_are_sent_to_the_login_page(client, patient):
    for url in (reverse("patients:list"), reverse("patients:create"), reverse("patients:detail", args=[patient.pk]),
                reverse("patients:update", args=[patient.pk]), reverse("patients:void", args=[patient.pk]),
                reverse("patients:history", args=[patient.pk])):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.url.startswith(reverse("login")), url


def test_the_list_shows_only_the_reporters_own_site(as_user, reporter, patient, other_site):
    PatientFactory(site=other_site, patient_ref="OTHER-1")
    response = as_user(reporter).get(reverse("patients:list"))
    assert response.status_code == 200
    assert "P-001" in response.content.decode()
    assert "OTHER-1" not in response.content.decode()


def test_central_staff_see_every_site_and_can_filter_by_site(as_user, reviewer, patient, other_site):
    PatientFactory(site=other_site, patient_ref="OTHER-1")
    client = as_user(reviewer)
    assert "OTHER-1" in client.get(reverse("patients:list")).content.decode()
    filtered = client.get(reverse("patients:list"), {"site": patient.site.pk}).content.decode()
    assert "P-001" in filtered and "OTHER-1" not in filtered


def test_the_list_filters_by_sex_and_reference(as_user, reviewer, site):
    PatientFactory(site=site, patient_ref="ABC-1", sex="male")
    PatientFactory(site=site, patient_ref="XYZ-2", sex="female")
    client = as_user(reviewer)
    content = client.get(reverse("patients:list"), {"sex": "male"}).content.decode()
    assert "ABC-1" in content and "XYZ-2" not in content
    content = client.get(reverse("patients:list"), {"patient_ref": "xyz"}).content.decode()
    assert "XYZ-2" in content and "ABC-1" not in content


def test_another_sites_reporter_gets_404_on_every_patient_page(as_user, other_reporter, patient):
    client = as_user(other_reporter)
    for name in ("detail", "update", "void", "history"):
        assert client.get(reverse(f"patients:{name}", args=[patient.pk])).status_code == 404, name
    assert client.post(reverse("patients:void", args=[patient.pk]), {"reason": "x"}).status_code == 404
    assert client.post(reverse("patients:update", args=[patient.pk]),
                       {"site": patient.site_id, "patient_ref": "HACK", "sex": "male"}).status_code == 404
    assert Patient.objects.get(pk=patient.pk).patient_ref == "P-001"


def test_a_reporter_creates_a_patient_at_their_site(as_user, reporter, site):
    response = as_user(reporter).post(reverse("patients:create"),
                                      {"site": site.pk, "patient_ref": "P-100", "sex": "female", "birth_year": 1980})
    patient = Patient.objects.get(patient_ref="P-100")
    assert response.status_code == 302 and response.url == reverse("patients:detail", args=[patient.pk])
    assert patient.history.first().history_user.username == "reporter-01"


def test_a_reporter_cannot_pick_another_site(as_user, reporter, other_site):
    response = as_user(reporter).post(reverse("patients:create"),
                                      {"site": other_site.pk, "patient_ref": "P-100", "sex": "female"})
    assert response.status_code == 200
    assert response.context["form"].has_error("site")
    assert not Patient.objects.filter(patient_ref="P-100").exists()


def test_a_duplicate_reference_is_shown_on_the_form(as_user, reporter, patient):
    response = as_user(reporter).post(reverse("patients:create"),
                                      {"site": patient.site_id, "patient_ref": "P-001", "sex": "female"})
    assert response.status_code == 200
    assert "already exists" in response.content.decode()


def test_an_impossible_birth_year_is_shown_under_the_field(as_user, reporter, site):
    response = as_user(reporter).post(reverse("patients:create"),
                                      {"site": site.pk, "patient_ref": "P-5", "sex": "female", "birth_year": 1850})
    assert response.context["form"].has_error("birth_year")
    assert 'data-error-for="birth_year"' in response.content.decode()


def test_an_analyst_cannot_create_or_edit_patients(as_user, analyst, patient):
    client = as_user(analyst)
    response = client.get(reverse("patients:create"))
    assert response.status_code == 403
    assert "cannot enter" in response.content.decode()
    response = client.post(reverse("patients:create"), {"site": patient.site_id, "patient_ref": "P-9", "sex": "male"})
    assert response.status_code == 403
    assert not Patient.objects.filter(patient_ref="P-9").exists()
    assert client.get(reverse("patients:update", args=[patient.pk])).status_code == 403
    detail = client.get(reverse("patients:detail", args=[patient.pk])).content.decode()
    assert "Add reaction" not in detail and "Add exposure" not in detail
    assert "New</a>" not in client.get(reverse("patients:list")).content.decode()


def test_the_detail_page_shows_exposures_reactions_and_entry_buttons(as_user, reporter, exposure, product):
    ReactionFactory(patient=exposure.patient, product=product, reaction_ref="R-77")
    response = as_user(reporter).get(reverse("patients:detail", args=[exposure.patient.pk]))
    content = response.content.decode()
    assert "R-77" in content and "Kineret" in content or product.name in content
    assert reverse("exposures:create", args=[exposure.patient.pk]) in content
    assert reverse("reactions:create", args=[exposure.patient.pk]) in content


def test_an_edit_is_saved_and_shown_in_the_history(as_user, reporter, patient):
    client = as_user(reporter)
    response = client.post(reverse("patients:update", args=[patient.pk]),
                           {"site": patient.site_id, "patient_ref": "P-001", "sex": "male", "birth_year": 1961})
    assert response.status_code == 302
    history = client.get(reverse("patients:history", args=[patient.pk])).content.decode()
    assert "reporter-01" in history
    assert "Female" in history and "Male" in history and "1960" in history and "1961" in history


def test_void_needs_a_reason_then_hides_the_patient_from_the_list(as_user, reporter, patient):
    client = as_user(reporter)
    response = client.post(reverse("patients:void", args=[patient.pk]), {"reason": ""})
    assert response.status_code == 200 and response.context["form"].has_error("reason")
    response = client.post(reverse("patients:void", args=[patient.pk]), {"reason": "Entered twice"})
    assert response.status_code == 302
    assert "P-001" not in client.get(reverse("patients:list")).content.decode()
    detail = client.get(reverse("patients:detail", args=[patient.pk]))
    assert detail.status_code == 200 and "Entered twice" in detail.content.decode()
    assert client.get(reverse("patients:update", args=[patient.pk])).status_code == 403


def test_only_a_reviewer_can_list_voided_patients(as_user, reporter, reviewer, patient):
    patient_update(patient=patient, actor=reporter, sex="male")
    from apps.patients.services import patient_void
    patient_void(patient=patient, actor=reporter, reason="dup")
    assert "P-001" not in as_user(reporter).get(reverse("patients:list"), {"include_voided": "on"}).content.decode()
    assert "P-001" in as_user(reviewer).get(reverse("patients:list"), {"include_voided": "on"}).content.decode()


def test_the_csv_export_is_scoped_filtered_and_neutralises_formulas(as_user, reporter, site, other_site):
    PatientFactory(site=site, patient_ref="=HYPERLINK(1)", sex="male")
    PatientFactory(site=site, patient_ref="plain", sex="female")
    PatientFactory(site=other_site, patient_ref="OTHER-1", sex="male")
    response = as_user(reporter).get(reverse("patients:list"), {"sex": "male", "_export": "csv"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.getvalue().decode())))
    refs = [row[0] for row in rows[1:]]
    assert refs == ["'=HYPERLINK(1)"]


def test_a_login_through_the_form_works(client, reporter):
    response = client.post(reverse("login"), {"username": "reporter-01", "password": PASSWORD})
    assert response.status_code == 302
    assert client.get(reverse("patients:list")).status_code == 200


def test_a_patient_of_a_patient_ref_list_links_exposures(as_user, reviewer, exposure):
    ExposurePeriodFactory(patient=exposure.patient, start_date=exposure.start_date.replace(year=2020),
                          end_date=exposure.start_date.replace(year=2020, month=2))
    content = as_user(reviewer).get(reverse("patients:detail", args=[exposure.patient.pk])).content.decode()
    assert "2020-01-01" in content and "ongoing" in content
