from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from apps.reactions.models import InjectionSiteReaction
from apps.reactions.services import EditConflict, reaction_create, reaction_review, reaction_submit, reaction_update
from tests.factories import ExposurePeriodFactory

pytestmark = pytest.mark.django_db


def make(patient, product, actor=None, **overrides):
    data = dict(reaction_ref="R-1", patient=patient, product=product, onset_date=date(2025, 2, 1),
                severity="mild", symptoms=["erythema", "pain"], outcome="recovered",
                resolution_date=date(2025, 2, 20))
    data.update(overrides)
    return reaction_create(actor=actor, **data)


def error_codes(excinfo, field):
    return [e.code for e in excinfo.value.error_dict[field]]


def test_it_saves_a_valid_reaction_and_derives_duration(exposure, product, reporter):
    reaction = make(exposure.patient, product, actor=reporter)
    reaction.refresh_from_db()
    assert reaction.symptoms == ["erythema", "pain"]
    assert reaction.duration_days == 20
    assert reaction.status == "draft"
    assert reaction.history.first().history_user == reporter


def test_it_rejects_resolution_before_onset(exposure, product):
    with pytest.raises(ValidationError) as excinfo:
        make(exposure.patient, product, resolution_date=date(2025, 1, 31))
    assert error_codes(excinfo, "resolution_date") == ["resolution_before_onset"]


def test_it_rejects_onset_before_first_exposure(exposure, product):
    with pytest.raises(ValidationError) as excinfo:
        make(exposure.patient, product, onset_date=date(2024, 12, 31), resolution_date=None, outcome="unknown")
    assert error_codes(excinfo, "onset_date") == ["onset_before_exposure"]


def test_it_rejects_fatal_without_death_criterion(exposure, product):
    with pytest.raises(ValidationError) as excinfo:
        make(exposure.patient, product, outcome="fatal")
    assert error_codes(excinfo, "seriousness") == ["fatal_without_death"]


def test_it_flags_an_onset_long_after_the_last_exposure(patient, product):
    ExposurePeriodFactory(patient=patient, product=product, start_date=date(2025, 1, 1), end_date=date(2025, 1, 31))
    reaction = make(patient, product, onset_date=date(2025, 3, 15), resolution_date=date(2025, 3, 20))
    assert reaction.late_onset_flag is True


def test_it_asks_to_confirm_a_probable_duplicate(exposure, product):
    make(exposure.patient, product)
    with pytest.raises(ValidationError) as excinfo:
        make(exposure.patient, product, reaction_ref="R-2")
    assert error_codes(excinfo, "onset_date") == ["probable_duplicate"]
    confirmed = make(exposure.patient, product, reaction_ref="R-2", confirm_duplicate=True)
    assert confirmed.duplicate_confirmed is True


def test_a_stale_edit_gets_a_conflict_and_changes_nothing(exposure, product, reporter):
    reaction = make(exposure.patient, product, actor=reporter)
    reaction_update(reaction=reaction, actor=reporter, expected_version=1, severity="moderate")
    with pytest.raises(EditConflict):
        reaction_update(reaction=reaction, actor=reporter, expected_version=1, severity="severe")
    assert InjectionSiteReaction.objects.get(pk=reaction.pk).severity == "moderate"


def test_a_reviewed_reaction_is_locked(exposure, product, reporter, reviewer):
    reaction = make(exposure.patient, product, actor=reporter)
    reaction_submit(reaction=reaction, actor=reporter)
    with pytest.raises(PermissionDenied):
        reaction_update(reaction=reaction, actor=reporter, severity="severe")
    reaction_review(reaction=reaction, actor=reviewer, causality="probable")
    with pytest.raises(PermissionDenied):
        reaction_update(reaction=reaction, actor=reviewer, severity="severe")


def test_it_checks_site_ownership(exposure, product, other_reporter):
    with pytest.raises(PermissionDenied):
        make(exposure.patient, product, actor=other_reporter)


def test_a_voided_reaction_cannot_be_edited_or_submitted(exposure, product, reporter):
    from apps.reactions.services import reaction_void

    reaction = make(exposure.patient, product, actor=reporter)
    reaction_void(reaction=reaction, actor=reporter, reason="Entered for the wrong patient")
    with pytest.raises(ValidationError, match="voided"):
        reaction_update(reaction=reaction, actor=reporter, severity="severe")
    with pytest.raises(ValidationError, match="voided"):
        reaction_submit(reaction=reaction, actor=reporter)
    assert InjectionSiteReaction.objects.get(pk=reaction.pk).severity == "mild"


def test_a_save_validates_once_and_locks_only_the_patient_row(exposure, product, reporter):
    """One full_clean per save (one uniqueness read of the reference, one read of the exposures),
    and the duplicate check's lock names the patient table alone: no join that would lock its site."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        reaction = make(exposure.patient, product, actor=reporter)
        reaction_update(reaction=reaction, actor=reporter, expected_version=1, onset_date=date(2025, 2, 2))
    queries = [query["sql"] for query in captured.captured_queries]
    assert sum('"reaction_ref" = \'R-1\'' in sql and "LIMIT 1" in sql for sql in queries) == 2  # one per save
    assert sum('FROM "exposures_exposureperiod"' in sql for sql in queries) == 2
    locks = [sql for sql in queries if 'SELECT "patients_patient"."id"' in sql]
    assert len(locks) == 2 and not any("accounts_site" in sql or "JOIN" in sql for sql in locks)
    if connection.vendor == "postgresql":
        assert all('FOR UPDATE OF "patients_patient"' in sql for sql in locks)
