"""'Report a reaction': the patient picker that leads to the form, and the reporter's dashboard."""
import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given, settings, strategies as st

from tests.factories import PatientFactory, ReactionFactory

pytestmark = pytest.mark.django_db


def test_an_exact_reference_goes_straight_to_the_form(client, reporter, patient):
    client.force_login(reporter)
    response = client.get(reverse("reactions:report"), {"patient_ref": " p-001 "})
    assert response.status_code == 302 and response["Location"] == reverse("reactions:create", args=[patient.pk])


def test_a_partial_reference_lists_only_the_users_site(client, reporter, site, other_site):
    mine = [PatientFactory(site=site, patient_ref=f"P-10{i}") for i in range(3)]
    PatientFactory(site=other_site, patient_ref="P-109")
    client.force_login(reporter)
    response = client.get(reverse("reactions:report"), {"patient_ref": "P-10"})
    assert [p.pk for p in response.context["matches"]] == [p.pk for p in mine]
    assert "P-109" not in response.content.decode()
    assert "No patient of yours" in client.get(reverse("reactions:report"), {"patient_ref": "P-109"}).content.decode()


def test_dashboard_and_list_offer_report_a_reaction(client, reporter, analyst):
    client.force_login(reporter)
    report_url = reverse("reactions:report")
    assert f'href="{report_url}"' in client.get(reverse("dashboard:home")).content.decode()
    assert f'href="{report_url}"' in client.get(reverse("reactions:list")).content.decode()
    client.force_login(analyst)
    assert f'href="{report_url}"' not in client.get(reverse("dashboard:home")).content.decode()


def test_the_reporter_dashboard_shows_their_drafts_returned_cases_and_submissions(client, reporter, exposure):
    patient = exposure.patient
    make = lambda ref, status, **kw: ReactionFactory(patient=patient, product=exposure.product, reaction_ref=ref,
                                                     status=status, **kw)
    make("R-MY-DRAFT", "draft", reporter=reporter)
    make("R-RETURNED", "returned")
    make("R-MINE-SUB", "submitted", reporter=reporter, onset_date=exposure.start_date)
    make("R-NOT-MINE", "draft")
    client.force_login(reporter)
    work = client.get(reverse("dashboard:home")).context["my_work"]
    assert [r.reaction_ref for r in work["drafts"]] == ["R-MY-DRAFT"]
    assert [r.reaction_ref for r in work["returned"]] == ["R-RETURNED"]
    assert [r.reaction_ref for r in work["submitted"]] == ["R-MINE-SUB"]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(max_size=80))
def test_the_picker_never_fails(client, reporter, patient, text):
    client.force_login(reporter)
    response = client.get(reverse("reactions:report"), {"patient_ref": text})
    assert response.status_code in (200, 302)
