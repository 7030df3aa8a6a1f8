"""Fixtures of the E2B tests: a configured sender and a case ready to export."""
from datetime import date

import pytest

from tests.factories import ReactionFactory


@pytest.fixture
def make_case(exposure):
    """A submitted, coded and assessed reaction of the `exposure` patient; override any field."""

    def make(**overrides):
        fields = dict(patient=exposure.patient, product=exposure.product, onset_date=date(2025, 1, 10),
                      resolution_date=date(2025, 1, 30), outcome="recovered", seriousness=[],
                      meddra_llt_code="10022086", meddra_version="27.1", causality="probable",
                      action_taken="unchanged", injection_site="abdomen_left", diameter_mm=35,
                      symptoms=["erythema", "swelling"], reporter_qualification="physician")
        fields.update(overrides)
        reaction = ReactionFactory(**fields)
        reaction.full_clean()  # only consistent records are exported
        return reaction

    return make
