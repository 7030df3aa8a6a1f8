"""The importer's own write and check steps: what bulk_create_with_history and full_clean() would do."""
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from apps.core.models import today
from apps.exposures.models import ExposurePeriod
from apps.imports.services import CHANGE_REASON, pv_csv_import
from apps.imports.validation import RowChecker
from apps.patients.models import Patient
from apps.reactions.models import InjectionSiteReaction
from tests.factories import PatientFactory, ReactionFactory

from .helpers import EXPOSURE, REACTION, assert_refused, messages, write_csv

pytestmark = pytest.mark.django_db

TRACKED = [field.attname for field in InjectionSiteReaction._meta.concrete_fields]


def test_each_new_row_gets_a_history_row_with_every_field_the_actor_the_reason_and_the_import_time(
        tmp_path, exposure, reporter):
    second = REACTION.replace("R-1", "R-2").replace("2025-02-01,2025-02-10", "2025-03-01,") \
        .replace("recovered", "not_recovered")
    result = pv_csv_import(reactions=write_csv(tmp_path, "reactions", REACTION, second), actor=reporter)
    assert result.ok, messages(result)

    for reaction in InjectionSiteReaction.objects.all():
        history = reaction.history.get()
        assert {name: getattr(history, name) for name in TRACKED} == {name: getattr(reaction, name) for name in TRACKED}
        assert (history.history_type, history.history_change_reason, history.history_user) == (
            "+", CHANGE_REASON, reporter)
        assert history.history_date == reaction.created_at == reaction.updated_at
    assert InjectionSiteReaction.objects.get(reaction_ref="R-1").symptoms == ["erythema", "pain"]


def test_an_update_writes_the_changed_fields_and_a_change_history_row_of_the_new_state(tmp_path, exposure):
    assert pv_csv_import(reactions=write_csv(tmp_path, "reactions", REACTION)).ok
    created = InjectionSiteReaction.objects.get()

    result = pv_csv_import(reactions=write_csv(tmp_path, "reactions", REACTION.replace("mild,1", "moderate,2")))

    assert result.ok, messages(result)
    reaction = InjectionSiteReaction.objects.get()
    assert (reaction.severity, reaction.ctcae_grade, reaction.version) == ("moderate", 2, 2)
    assert reaction.created_at == created.created_at and reaction.updated_at > created.updated_at
    latest = reaction.history.first()
    assert latest.history_type == "~"
    assert {name: getattr(latest, name) for name in TRACKED} == {name: getattr(reaction, name) for name in TRACKED}


def test_imported_rows_take_new_ids_and_the_orm_carries_on_after_them(tmp_path, exposure):
    earlier = ReactionFactory(reaction_ref="R-0", patient=exposure.patient, onset_date=date(2025, 1, 5),
                              resolution_date=date(2025, 1, 6))
    assert pv_csv_import(reactions=write_csv(tmp_path, "reactions", REACTION)).ok
    imported = InjectionSiteReaction.objects.get(reaction_ref="R-1")
    later = ReactionFactory(reaction_ref="R-9", patient=exposure.patient, onset_date=date(2025, 1, 7),
                            resolution_date=date(2025, 1, 8))

    assert earlier.pk < imported.pk < later.pk
    assert imported.history.get().id == imported.pk


def test_the_patients_and_exposures_of_one_run_are_found_by_later_files(tmp_path, product):
    patients = write_csv(tmp_path, "patients", "P-001,site-01,female,1970")
    exposures = write_csv(tmp_path, "exposures", EXPOSURE)
    result = pv_csv_import(patients=patients, exposures=exposures,
                           reactions=write_csv(tmp_path, "reactions", REACTION))
    assert result.ok, messages(result)
    reaction = InjectionSiteReaction.objects.get()
    assert reaction.patient == Patient.objects.get() == ExposurePeriod.objects.get().patient
    assert Patient.objects.get().history.get().id == reaction.patient_id


def test_an_equal_decimal_with_too_many_places_is_still_refused_after_a_valid_one(tmp_path, site, product):
    """Field checks are remembered per value: 1 and 1.000 are equal numbers but not the same input."""
    PatientFactory(site=site, patient_ref="P-002")
    PatientFactory(site=site, patient_ref="P-001")
    exposures = write_csv(tmp_path, "exposures", "P-001,anakinra,2025-01-01,,1,subcutaneous,LOT-1",
                          "P-002,anakinra,2025-01-01,,1.000,subcutaneous,LOT-1")
    result = pv_csv_import(exposures=exposures)
    assert_refused(result, exposures, 3, "dose_mg_per_day", "decimal places")
    assert len(result.errors) == 1


def reaction(**values):
    instance = InjectionSiteReaction(
        reaction_ref="R-1", patient_id=1, product_id=1, onset_date=date(2025, 2, 1),
        resolution_date=date(2025, 2, 10), severity="mild", ctcae_grade=1, symptoms=["pain"], seriousness=[],
        outcome="recovered")
    for name, value in values.items():
        setattr(instance, name, value)
    instance.known_exposures = [ExposurePeriod(start_date=date(2025, 1, 1))]
    return instance


BAD_VALUES = [
    {"severity": "extreme"}, {"severity": ""}, {"reaction_ref": "R" * 51}, {"meddra_llt_code": "1234"},
    {"diameter_mm": 1001}, {"diameter_mm": -1}, {"symptoms": []}, {"symptoms": ["pain", "itch"]},
    {"seriousness": ["fatal"]}, {"ctcae_grade": 7}, {"outcome": "gone"}, {"injection_site": "ear"},
    {"onset_date": None}, {"onset_date": today() + timedelta(days=1)}, {"resolution_date": date(2025, 1, 20)},
    {"outcome": "fatal"}, {"ctcae_grade": 5}, {"outcome": "not_recovered"}, {"status": "lost"},
    {"severity": "extreme", "outcome": "fatal", "reaction_ref": ""},
]


def full_clean_errors(instance):
    try:
        instance.full_clean(exclude=("patient", "product", "reporter"), validate_unique=False,
                            validate_constraints=False)
    except ValidationError as exc:
        return exc.message_dict
    return {}


def test_the_row_checker_reports_exactly_what_full_clean_reports_also_for_values_seen_before():
    checker = RowChecker(InjectionSiteReaction, exclude=("patient", "product", "reporter"))
    for values in [{}] + BAD_VALUES + [{}] + BAD_VALUES:  # the second round comes from its memory
        expected = full_clean_errors(reaction(**values))
        assert expected or not values
        assert ValidationError(checker.errors(reaction(**values)) or {"ok": []}).message_dict == (
            expected or {"ok": []}), values


def test_the_row_checker_sets_the_cleaned_values_back_as_full_clean_does():
    checker = RowChecker(ExposurePeriod, exclude=("patient", "product"))
    for _ in range(2):
        period = ExposurePeriod(patient_id=1, product_id=1, start_date=date(2025, 1, 1), dose_mg_per_day="12.5",
                                route="subcutaneous")
        period.known_siblings = []
        assert checker.errors(period) == {}
        assert period.dose_mg_per_day == Decimal("12.5")


def test_it_writes_a_batch_in_a_few_statements(tmp_path, exposure, django_assert_max_num_queries):
    """Whatever the number of rows: a few queries per batch (COPY on PostgreSQL, executemany elsewhere)."""
    rows = [REACTION.replace("R-1", f"R-{n}").replace("2025-02-01,2025-02-10",
                                                       f"{date(2025, 1, 2) + timedelta(days=n)},")
            .replace("recovered", "not_recovered") for n in range(300)]
    with django_assert_max_num_queries(20):
        result = pv_csv_import(reactions=write_csv(tmp_path, "reactions", *rows))
    assert result.ok, messages(result)[:3]
    assert InjectionSiteReaction.history.count() == 300
