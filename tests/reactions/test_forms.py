"""Every clinical rule, entered through the web form: the error must show under the named field."""
from datetime import date

import pytest
from django.urls import reverse

from apps.reactions.models import InjectionSiteReaction
from tests.factories import ExposurePeriodFactory, ReactionFactory

pytestmark = pytest.mark.django_db


def reaction_data(product, **overrides):
    data = {"reaction_ref": "R-100", "product": product.pk, "onset_date": "2025-02-01",
            "resolution_date": "2025-02-10", "severity": "mild", "ctcae_grade": "", "symptoms": ["erythema"],
            "outcome": "recovered", "action_taken": "unchanged", "injection_site": "thigh_left",
            "diameter_mm": "20", "reporter_qualification": "physician", "narrative": "Red patch.",
            "meddra_llt_code": "", "meddra_version": ""}
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


@pytest.fixture
def post(client, reporter, exposure):
    client.force_login(reporter)

    def submit(product, **overrides):
        return client.post(reverse("reactions:create", args=[exposure.patient_id]), reaction_data(product, **overrides))
    return submit


def assert_field_error(response, field, code):
    assert response.status_code == 200
    assert response.context["form"].has_error(field, code), response.context["form"].errors.as_data()
    assert f'data-error-for="{field}"' in response.content.decode()
    assert not InjectionSiteReaction.objects.filter(reaction_ref="R-100").exists()


def test_a_valid_reaction_is_saved_as_a_draft_with_its_reporter(post, product, reporter):
    response = post(product)
    reaction = InjectionSiteReaction.objects.get(reaction_ref="R-100")
    assert response.status_code == 302 and response.url == reverse("reactions:detail", args=[reaction.pk])
    assert reaction.status == "draft" and reaction.reporter == reporter
    assert reaction.symptoms == ["erythema"] and reaction.seriousness == []


def test_resolution_before_onset_is_shown_on_the_resolution_date(post, product):
    assert_field_error(post(product, resolution_date="2025-01-20"), "resolution_date", "resolution_before_onset")


def test_a_future_onset_is_shown_on_the_onset_date(post, product):
    assert_field_error(post(product, onset_date="2100-01-01", resolution_date="", outcome="unknown"),
                       "onset_date", "future_date")


def test_a_future_resolution_is_shown_on_the_resolution_date(post, product):
    assert_field_error(post(product, resolution_date="2100-01-01"), "resolution_date", "future_date")


def test_an_onset_before_the_first_exposure_is_shown_on_the_onset_date(post, product):
    response = post(product, onset_date="2024-12-01", resolution_date="2024-12-05")
    assert_field_error(response, "onset_date", "onset_before_exposure")
    assert "before the patient&#x27;s first exposure" in response.content.decode()


def test_a_product_never_taken_is_shown_on_the_onset_date(post, product):
    from tests.factories import ProductFactory
    assert_field_error(post(ProductFactory(code="other")), "onset_date", "no_exposure")


def test_a_fatal_outcome_without_the_death_criterion_is_shown_on_seriousness(post, product):
    assert_field_error(post(product, outcome="fatal"), "seriousness", "fatal_without_death")


def test_the_death_criterion_without_a_fatal_outcome_is_shown_on_outcome(post, product):
    assert_field_error(post(product, seriousness=["death"]), "outcome", "death_without_fatal")


def test_grade_5_without_a_fatal_outcome_is_shown_on_the_grade(post, product):
    assert_field_error(post(product, ctcae_grade="5"), "ctcae_grade", "grade5_without_fatal")


def test_a_recovered_reaction_without_a_date_is_shown_on_the_resolution_date(post, product):
    assert_field_error(post(product, resolution_date=""), "resolution_date", "resolved_without_date")


def test_an_ongoing_outcome_with_a_resolution_date_is_shown_on_outcome(post, product):
    assert_field_error(post(product, outcome="not_recovered"), "outcome", "ongoing_outcome_with_resolution")


def test_missing_symptoms_are_shown_on_the_symptoms(post, product):
    assert_field_error(post(product, symptoms=None), "symptoms", "required")


def test_a_malformed_meddra_code_is_shown_on_the_code(post, product):
    assert_field_error(post(product, meddra_llt_code="1234"), "meddra_llt_code", "invalid")


def test_a_reused_reference_is_shown_on_the_reference(post, product, exposure):
    ReactionFactory(patient=exposure.patient, product=product, reaction_ref="R-100", onset_date=date(2025, 1, 5))
    response = post(product)
    assert response.context["form"].has_error("reaction_ref", "unique")


def test_a_fatal_serious_grade_5_reaction_is_accepted(post, product):
    response = post(product, outcome="fatal", seriousness=["death", "hospitalisation"], ctcae_grade="5",
                    severity="severe")
    assert response.status_code == 302
    reaction = InjectionSiteReaction.objects.get(reaction_ref="R-100")
    assert reaction.seriousness == ["death", "hospitalisation"] and reaction.ctcae_grade == 5


def test_a_probable_duplicate_asks_for_confirmation_then_saves(post, product, exposure):
    ReactionFactory(patient=exposure.patient, product=product, reaction_ref="R-1", onset_date=date(2025, 2, 1))
    response = post(product)
    assert_field_error(response, "onset_date", "probable_duplicate")
    content = response.content.decode()
    assert "Probable duplicate of R-1" in content
    assert 'name="confirm_duplicate"' in content and "I checked: this is not a duplicate" in content
    response = post(product, confirm_duplicate="on")
    assert response.status_code == 302
    assert InjectionSiteReaction.objects.get(reaction_ref="R-100").duplicate_confirmed is True


def test_the_confirmation_box_is_hidden_until_a_duplicate_is_found(client, reporter, exposure):
    client.force_login(reporter)
    content = client.get(reverse("reactions:create", args=[exposure.patient_id])).content.decode()
    assert 'name="confirm_duplicate"' not in content


def test_a_late_onset_is_saved_and_flagged(client, reporter, patient, product):
    ExposurePeriodFactory(patient=patient, product=product, start_date=date(2025, 1, 1), end_date=date(2025, 1, 31))
    client.force_login(reporter)
    response = client.post(reverse("reactions:create", args=[patient.pk]),
                           reaction_data(product, onset_date="2025-03-15", resolution_date="2025-03-20"))
    assert response.status_code == 302
    reaction = InjectionSiteReaction.objects.get(reaction_ref="R-100")
    assert reaction.late_onset_flag is True
    detail = client.get(response.url).content.decode()
    assert 'id="late-onset"' in detail


def test_the_form_separates_severity_from_seriousness_and_preselects_the_product(client, reporter, exposure, product):
    client.force_login(reporter)
    response = client.get(reverse("reactions:create", args=[exposure.patient_id]))
    content = response.content.decode()
    assert "Severity (intensity)" in content and "Seriousness criteria (ICH E2A)" in content
    assert 'type="checkbox" class="form-check-input" name="seriousness"' in content
    assert response.context["form"]["product"].value() == product.pk
    assert "causality" not in response.context["form"].fields  # reporters do not assess causality
