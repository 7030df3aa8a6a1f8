"""The optional meddra_llt_code column: 8 digits, and in the loaded dictionary of the organisation's version."""
import pytest

from apps.e2b.models import MeddraTerm
from apps.imports.services import pv_csv_import
from apps.reactions.models import InjectionSiteReaction
from tests.imports.helpers import REACTION, assert_refused, messages, snapshot, write_csv

pytestmark = pytest.mark.django_db

HEADER = ("reaction_ref,patient_ref,product_code,onset_date,resolution_date,severity,ctcae_grade,symptoms,"
          "seriousness,outcome,meddra_llt_code")


def test_a_code_is_stored_with_the_organisations_meddra_version(tmp_path, exposure, sender):
    result = pv_csv_import(reactions=write_csv(tmp_path, "reactions", REACTION + ",10022086", header=HEADER))
    assert result.ok, messages(result)
    assert InjectionSiteReaction.objects.values_list("meddra_llt_code", "meddra_version").get() == ("10022086", "27.1")


def test_a_code_missing_from_the_loaded_dictionary_is_refused_with_its_line(tmp_path, exposure, sender):
    MeddraTerm.objects.create(version="27.1", llt_code="10022086", llt_name="Injection site reaction",
                              pt_code="10022095", current=True)
    before = snapshot()
    path = write_csv(tmp_path, "reactions", REACTION + ",10099999", header=HEADER)
    result = pv_csv_import(reactions=path)
    assert_refused(result, path, 2, "meddra_llt_code", "is not in MedDRA 27.1")
    assert snapshot() == before


def test_a_code_in_the_loaded_dictionary_is_accepted(tmp_path, exposure, sender):
    MeddraTerm.objects.create(version="27.1", llt_code="10022086", llt_name="Injection site reaction",
                              pt_code="10022095", current=True)
    result = pv_csv_import(reactions=write_csv(tmp_path, "reactions", REACTION + ",10022086", header=HEADER))
    assert result.ok, messages(result)


def test_a_code_that_is_not_eight_digits_is_refused_without_any_dictionary(tmp_path, exposure):
    path = write_csv(tmp_path, "reactions", REACTION + ",1234", header=HEADER)
    result = pv_csv_import(reactions=path)
    assert_refused(result, path, 2, "meddra_llt_code", "8 digits")
