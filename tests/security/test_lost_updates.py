"""Two editors of one record: the second save is a conflict with the same message for every record type,
never a silent overwrite (patients, exposure periods, reactions, reference profiles)."""
import re
from datetime import date

import pytest
from django.test import Client
from django.urls import reverse

from apps.products.models import ReferenceProfile
from tests.factories import ReactionFactory

pytestmark = pytest.mark.django_db

CONFLICT = re.compile(rb"Someone else saved this [a-z ]+ after you opened it \(your version 1, now 2\)")


def form_fields(response):
    """The form's inputs as the browser would send them back (text, hidden, selected options)."""
    html = response.content.decode()
    data = {}
    for name, value in re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', html):
        data[name] = value
    for name, body in re.findall(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', html, re.S):
        selected = re.findall(r'<option value="([^"]*)"[^>]*selected', body)
        data[name] = selected[0] if selected else ""
    data.pop("csrfmiddlewaretoken", None)
    return data


def two_editors(user, url):
    first, second = Client(), Client()
    first.force_login(user)
    second.force_login(user)
    return first, form_fields(first.get(url)), second, form_fields(second.get(url))


def test_a_second_editor_of_a_patient_gets_a_conflict(reporter, patient):
    url = reverse("patients:update", args=[patient.pk])
    first, first_form, second, second_form = two_editors(reporter, url)
    assert first_form["version"] == "1"
    assert first.post(url, {**first_form, "birth_year": "1961"}).status_code == 302
    response = second.post(url, {**second_form, "sex": "male"})
    assert response.status_code == 200 and CONFLICT.search(response.content)
    patient.refresh_from_db()
    assert (patient.birth_year, patient.sex, patient.version) == (1961, "female", 2)


def test_a_second_editor_of_an_exposure_period_gets_a_conflict(reporter, exposure):
    url = reverse("exposures:update", args=[exposure.pk])
    first, first_form, second, second_form = two_editors(reporter, url)
    assert first.post(url, {**first_form, "lot_number": "LOT-A"}).status_code == 302
    response = second.post(url, {**second_form, "dose_mg_per_day": "150"})
    assert response.status_code == 200 and CONFLICT.search(response.content)
    exposure.refresh_from_db()
    assert (exposure.lot_number, str(exposure.dose_mg_per_day), exposure.version) == ("LOT-A", "100.00", 2)


def test_a_second_editor_of_a_reaction_gets_the_same_conflict(reporter, exposure, product):
    reaction = ReactionFactory(patient=exposure.patient, product=product, status="draft",
                               onset_date=date(2025, 1, 10), resolution_date=date(2025, 1, 30))
    url = reverse("reactions:update", args=[reaction.pk])
    first, first_form, second, second_form = two_editors(reporter, url)
    first_form.update(symptoms="erythema", narrative="first")
    second_form.update(symptoms="erythema", narrative="second")
    assert first.post(url, first_form).status_code == 302
    response = second.post(url, second_form)
    assert response.status_code == 200 and CONFLICT.search(response.content)


def test_a_second_editor_of_a_reference_profile_gets_the_same_conflict(admin_user, product):
    profile = product.reference_profiles.first()
    url = reverse("admin:products_referenceprofile_change", args=[profile.pk])
    first, first_form, second, second_form = two_editors(admin_user, url)
    for form in (first_form, second_form):
        form["source_citation"] = profile.source_citation
        form["notes"] = profile.notes
        if not profile.is_current:
            form.pop("is_current", None)
    assert first.post(url, {**first_form, "label": "First editor"}).status_code == 302
    response = second.post(url, {**second_form, "label": "Second editor"})
    assert response.status_code == 200 and CONFLICT.search(response.content)
    assert ReferenceProfile.objects.get(pk=profile.pk).label == "First editor"
