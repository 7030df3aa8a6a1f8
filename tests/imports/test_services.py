from datetime import date, timedelta
from decimal import Decimal
from io import BytesIO

import pytest
from django.core.exceptions import PermissionDenied

from apps.accounts.models import Site
from apps.core.models import today
from apps.exposures.models import ExposurePeriod
from apps.imports.services import CHANGE_REASON, pv_csv_import
from apps.patients.models import Patient
from apps.products.models import Product
from apps.reactions.models import InjectionSiteReaction
from apps.reactions.services import reaction_review
from tests.factories import ExposurePeriodFactory, PatientFactory, ReactionFactory, signed

from .helpers import EXPOSURE, REACTION, assert_refused, messages, snapshot, write_csv

pytestmark = pytest.mark.django_db


def reaction_row(ref="R-1", patient="P-001", onset="2025-02-01", resolution="2025-02-10", severity="mild",
                 grade="1", symptoms="erythema;pain", seriousness="", outcome="recovered", extra=()):
    return ",".join([ref, patient, "anakinra", onset, resolution, severity, grade, symptoms, seriousness, outcome,
                     *extra])


def exposure_row(patient="P-001", start="2025-01-01", end="", dose="100", route="subcutaneous", lot="LOT-1"):
    return ",".join([patient, "anakinra", start, end, dose, route, lot])


# Importing ---------------------------------------------------------------------------------------


def test_it_imports_patients_exposures_and_reactions_in_one_run(tmp_path, product):
    patients = write_csv(tmp_path, "patients", "P-101,site-09,female,1970", "P-102,site-09,,")
    exposures = write_csv(tmp_path, "exposures", exposure_row("P-101"), exposure_row("P-102", route=""))
    reactions = write_csv(tmp_path, "reactions", reaction_row(patient="P-101"),
                          reaction_row("R-2", patient="P-102", resolution="", outcome="not_recovered"))

    result = pv_csv_import(patients=patients, exposures=exposures, reactions=reactions)

    assert result.ok, messages(result)
    assert [(c.created, c.updated, c.unchanged) for c in result.files.values()] == [(2, 0, 0)] * 3
    assert result.sites_created == ["site-09"]
    p102 = Patient.objects.get(patient_ref="P-102")
    assert (p102.site.code, p102.sex, p102.birth_year) == ("site-09", "unknown", None)
    assert ExposurePeriod.objects.get(patient=p102).route == "subcutaneous"  # the product's route
    reaction = InjectionSiteReaction.objects.get(reaction_ref="R-1")
    assert reaction.status == "submitted"
    assert reaction.symptoms == ["erythema", "pain"]
    assert reaction.patient.patient_ref == "P-101"
    assert reaction.history.get().history_change_reason == CHANGE_REASON
    assert p102.history.get().history_change_reason == CHANGE_REASON


def test_it_finds_patients_and_exposures_already_recorded(tmp_path, exposure):
    result = pv_csv_import(reactions=write_csv(tmp_path, "reactions", REACTION))
    assert result.ok, messages(result)
    assert InjectionSiteReaction.objects.get().patient == exposure.patient


def test_it_accepts_open_binary_files_as_an_upload_page_would_pass_them(exposure):
    upload = BytesIO(b"\xef\xbb\xbf" + ("reaction_ref,patient_ref,product_code,onset_date,resolution_date,severity,"
                                        "ctcae_grade,symptoms,seriousness,outcome\n" + REACTION + "\n").encode())
    upload.name = "upload.csv"
    result = pv_csv_import(reactions=upload)
    assert result.ok, messages(result)
    assert not upload.closed


def test_it_records_the_actor_in_history_and_as_reporter(tmp_path, exposure, reporter):
    result = pv_csv_import(reactions=write_csv(tmp_path, "reactions", REACTION), actor=reporter)
    reaction = InjectionSiteReaction.objects.get()
    assert result.ok and reaction.reporter == reporter
    assert reaction.history.get().history_user == reporter


def test_it_refuses_an_actor_whose_role_cannot_enter_data(tmp_path, exposure, analyst):
    with pytest.raises(PermissionDenied):
        pv_csv_import(reactions=write_csv(tmp_path, "reactions", REACTION), actor=analyst)


def test_it_refuses_a_site_bound_actor_other_sites_patients(tmp_path, reporter, other_site, product):
    patients = write_csv(tmp_path, "patients", "P-201,site-02,male,1980")
    result = pv_csv_import(patients=patients, actor=reporter)
    assert_refused(result, patients, 2, "site", "your own site (site-01)")
    assert not Patient.objects.exists()


def test_it_imports_the_optional_trailing_columns(tmp_path, exposure):
    header = ("reaction_ref,patient_ref,product_code,onset_date,resolution_date,severity,ctcae_grade,symptoms,"
              "seriousness,outcome,injection_site,diameter_mm,meddra_llt_code")
    reactions = write_csv(tmp_path, "reactions", REACTION + ",thigh_left,35,10022095", header=header)
    result = pv_csv_import(reactions=reactions)
    assert result.ok, messages(result)
    reaction = InjectionSiteReaction.objects.get()
    assert (reaction.injection_site, reaction.diameter_mm, reaction.meddra_llt_code) == ("thigh_left", 35, "10022095")


def test_it_keeps_stored_optional_values_when_the_file_has_no_such_columns(tmp_path, exposure):
    ReactionFactory(reaction_ref="R-1", patient=exposure.patient, onset_date=date(2025, 2, 1),
                    resolution_date=date(2025, 2, 10), ctcae_grade=1, symptoms=["erythema", "pain"],
                    injection_site="thigh_left", diameter_mm=35)
    result = pv_csv_import(reactions=write_csv(tmp_path, "reactions", REACTION))
    assert result.ok, messages(result)
    assert result.files["reactions"].unchanged == 1
    assert InjectionSiteReaction.objects.get().injection_site == "thigh_left"


def test_it_creates_missing_sites_and_refuses_an_invalid_site_code(tmp_path, site):
    patients = write_csv(tmp_path, "patients", "P-1,site-01,female,1970", "P-2,new-site,male,1980",
                         "P-3,Bad Site!,male,1980")
    result = pv_csv_import(patients=patients)
    assert_refused(result, patients, 4, "site", "'Bad Site!' is not a valid site code")
    assert not Site.objects.filter(code="new-site").exists()

    patients = write_csv(tmp_path, "patients", "P-1,site-01,female,1970", "P-2,new-site,male,1980")
    result = pv_csv_import(patients=patients)
    assert result.ok and result.sites_created == ["new-site"]
    assert Patient.objects.get(patient_ref="P-2").site.code == "new-site"


# Re-importing -------------------------------------------------------------------------------------


def test_it_reimports_the_same_files_without_duplicates_or_new_history(tmp_path, product):
    files = dict(patients=write_csv(tmp_path, "patients", "P-001,site-01,female,1970"),
                 exposures=write_csv(tmp_path, "exposures", EXPOSURE),
                 reactions=write_csv(tmp_path, "reactions", REACTION))
    assert pv_csv_import(**files).ok
    before = snapshot()

    result = pv_csv_import(**files)

    assert result.ok, messages(result)
    assert [(c.created, c.updated, c.unchanged) for c in result.files.values()] == [(0, 0, 1)] * 3
    assert snapshot() == before


def test_it_updates_differing_rows_through_validation_with_history(tmp_path, exposure):
    reactions = write_csv(tmp_path, "reactions", REACTION)
    assert pv_csv_import(reactions=reactions).ok
    patients = write_csv(tmp_path, "patients", "P-001,site-01,male,1961")
    exposures = write_csv(tmp_path, "exposures", exposure_row(dose="150.5", lot="LOT-2"))
    reactions = write_csv(tmp_path, "reactions", reaction_row(severity="moderate", grade="2"))

    result = pv_csv_import(patients=patients, exposures=exposures, reactions=reactions)

    assert result.ok, messages(result)
    assert [(c.created, c.updated, c.unchanged) for c in result.files.values()] == [(0, 1, 0)] * 3
    reaction = InjectionSiteReaction.objects.get()
    assert (reaction.severity, reaction.ctcae_grade, reaction.version) == ("moderate", 2, 2)
    assert reaction.history.first().history_type == "~"
    assert reaction.history.first().history_change_reason == CHANGE_REASON
    exposure.refresh_from_db()
    assert (exposure.dose_mg_per_day, exposure.lot_number) == (Decimal("150.50"), "LOT-2")
    assert exposure.history.first().history_change_reason == CHANGE_REASON
    assert (exposure.patient.__class__.objects.get().sex) == "male"


def test_it_refuses_an_update_that_breaks_a_rule(tmp_path, exposure):
    assert pv_csv_import(reactions=write_csv(tmp_path, "reactions", REACTION)).ok
    reactions = write_csv(tmp_path, "reactions", reaction_row(resolution="2025-01-20"))
    result = pv_csv_import(reactions=reactions)
    assert_refused(result, reactions, 2, "resolution_date", "before the onset date")
    assert InjectionSiteReaction.objects.get().resolution_date == date(2025, 2, 10)


def test_it_never_changes_a_reviewed_reaction(tmp_path, exposure, reviewer):
    assert pv_csv_import(reactions=write_csv(tmp_path, "reactions", REACTION)).ok
    reaction_review(reaction=InjectionSiteReaction.objects.get(), actor=reviewer, causality="probable", signature=signed(reviewer, "review"))
    before = snapshot()
    reactions = write_csv(tmp_path, "reactions", reaction_row(severity="severe"))

    result = pv_csv_import(reactions=reactions)

    assert_refused(result, reactions, 2, "reaction_ref", "reviewed and locked")
    assert snapshot() == before
    # the identical row of a reviewed reaction is simply unchanged
    assert pv_csv_import(reactions=write_csv(tmp_path, "reactions", REACTION)).ok


def test_it_refuses_to_move_a_reaction_to_another_patient(tmp_path, exposure, site):
    ExposurePeriodFactory(patient=PatientFactory(site=site, patient_ref="P-002"))
    assert pv_csv_import(reactions=write_csv(tmp_path, "reactions", REACTION)).ok
    reactions = write_csv(tmp_path, "reactions", reaction_row(patient="P-002"))
    assert_refused(pv_csv_import(reactions=reactions), reactions, 2, "patient_ref", "another patient")


def test_a_dry_run_validates_and_writes_nothing(tmp_path, product):
    before = snapshot()
    result = pv_csv_import(patients=write_csv(tmp_path, "patients", "P-001,site-05,female,1970"),
                           exposures=write_csv(tmp_path, "exposures", EXPOSURE),
                           reactions=write_csv(tmp_path, "reactions", REACTION), dry_run=True)
    assert result.ok, messages(result)
    assert not result.written
    assert [c.created for c in result.files.values()] == [1, 1, 1]
    assert snapshot() == before


def test_a_dry_run_reports_bad_rows_too(tmp_path, exposure):
    reactions = write_csv(tmp_path, "reactions", reaction_row(resolution="2025-01-20"))
    result = pv_csv_import(reactions=reactions, dry_run=True)
    assert_refused(result, reactions, 2, "resolution_date", "before the onset date")


# File-level checks -------------------------------------------------------------------------------


def test_it_accepts_a_byte_order_mark(tmp_path, exposure):
    result = pv_csv_import(reactions=write_csv(tmp_path, "reactions", REACTION, bom=True))
    assert result.ok, messages(result)


def test_it_refuses_a_file_that_is_not_utf8_naming_the_line(tmp_path, site):
    path = tmp_path / "patients.csv"
    path.write_bytes("patient_ref,site,sex,birth_year\nP-1,site-01,female,1970\nMüller,site-01,male,1960\n"
                     .encode("latin-1"))
    result = pv_csv_import(patients=path)
    assert_refused(result, path, 3, "file", "not valid UTF-8")
    assert not Patient.objects.exists()


def test_it_refuses_a_file_over_the_size_limit(tmp_path, settings, site):
    settings.IMPORT_MAX_FILE_BYTES = 40
    path = write_csv(tmp_path, "patients", "P-1,site-01,female,1970")
    result = pv_csv_import(patients=path)
    assert_refused(result, path, 1, "file", "the largest file accepted is 40 bytes")
    assert not Patient.objects.exists()


@pytest.mark.parametrize("header, reason", [
    ("patient_ref,site,sex", "missing column(s) birth_year"),
    ("patient_ref,site,sex,birth_year,name", "unknown column(s) 'name'"),
    ("patient_ref,site,site,sex,birth_year", "column(s) given twice: site"),
    ("patient,site,sex,birth_year", "missing column(s) patient_ref"),
])
def test_it_refuses_wrong_headers(tmp_path, site, header, reason):
    path = write_csv(tmp_path, "patients", "P-1,site-01,female,1970", header=header)
    result = pv_csv_import(patients=path)
    assert_refused(result, path, 1, "header", reason)
    assert not Patient.objects.exists()


def test_it_refuses_an_empty_file(tmp_path, db):
    path = tmp_path / "reactions.csv"
    path.write_bytes(b"")
    assert_refused(pv_csv_import(reactions=path), path, 1, "header", "the file is empty")


def test_it_reads_no_row_while_another_file_has_a_wrong_header(tmp_path, product):
    patients = write_csv(tmp_path, "patients", "P-1,site-01,female,1970")
    reactions = write_csv(tmp_path, "reactions", REACTION, header="reaction_ref,patient_ref")
    result = pv_csv_import(patients=patients, reactions=reactions)
    assert [problem.line for problem in result.errors] == [1]
    assert not Patient.objects.exists()


def test_it_refuses_a_row_with_the_wrong_number_of_values(tmp_path, site):
    path = write_csv(tmp_path, "patients", "P-1,site-01,female,1970", "P-2,site-01,female")
    assert_refused(pv_csv_import(patients=path), path, 3, "row", "has 3 values but the header has 4 columns")


def test_it_counts_lines_as_the_file_shows_them(tmp_path, site):
    path = write_csv(tmp_path, "patients", "P-1,site-01,female,1970", "", '"P-\n2",site-01,female,1970',
                     "P-3,site-01,female,18")
    result = pv_csv_import(patients=path)
    # The quoted reference spans lines 4-5 (and a line break is not a reference character); line 6 is bad too.
    assert [(problem.line, problem.field) for problem in result.errors] == [(4, "patient_ref"), (6, "birth_year")]


# Row rules ---------------------------------------------------------------------------------------


def test_it_reports_every_bad_row_and_writes_nothing(tmp_path, exposure):
    before = snapshot()
    reactions = write_csv(tmp_path, "reactions", REACTION, reaction_row("R-2", onset="2025-13-01"),
                          reaction_row("R-3", onset="2025-03-01"), reaction_row("R-4", severity="mild", grade="x"),
                          reaction_row("R-5", onset="2025-03-05", resolution="", outcome="fatal", grade="5"))
    result = pv_csv_import(reactions=reactions)
    lines = {problem.line for problem in result.errors}
    assert lines == {3, 4, 5, 6}
    assert_refused(result, reactions, 3, "onset_date", "'2025-13-01' is not a date; use the ISO format YYYY-MM-DD")
    assert_refused(result, reactions, 4, "resolution_date", "The resolution date is before the onset date.")
    assert_refused(result, reactions, 5, "ctcae_grade", "'x' is not a whole number")
    assert_refused(result, reactions, 6, "seriousness", "A fatal outcome requires")
    assert snapshot() == before


@pytest.mark.parametrize("row, field, reason", [
    (exposure_row(start="2025-02-01", end="2025-01-01"), "end_date", "end date is before the start date"),
    (exposure_row(start=(today() + timedelta(days=3)).isoformat()), "start_date", "cannot be in the future"),
    (exposure_row(start="01/02/2025"), "start_date", "'01/02/2025' is not a date"),
    (exposure_row(start=""), "start_date", "a value is required"),
    (exposure_row(dose="ten"), "dose_mg_per_day", "'ten' is not a number"),
    (exposure_row(dose="0"), "dose_mg_per_day", "greater than or equal to 0.01"),
    (exposure_row(dose="1,5"), "row", "has 8 values"),
    (exposure_row(route="oral"), "route", "Allowed: subcutaneous, intravenous"),
    (exposure_row(patient="P-999"), "patient_ref", "unknown patient 'P-999'"),
    ("P-001,aspirin,2025-01-01,,100,,", "product_code", "unknown product 'aspirin'; known: anakinra"),
])
def test_it_refuses_a_bad_exposure_row(tmp_path, patient, product, row, field, reason):
    before = snapshot()
    exposures = write_csv(tmp_path, "exposures", exposure_row(start="2024-01-01", end="2024-06-30"), row)
    result = pv_csv_import(exposures=exposures)
    assert_refused(result, exposures, 3, field, reason)
    assert snapshot() == before


def test_it_refuses_an_exposure_overlapping_a_recorded_one(tmp_path, exposure):
    exposures = write_csv(tmp_path, "exposures", exposure_row(start="2025-03-01"))
    result = pv_csv_import(exposures=exposures)
    assert_refused(result, exposures, 2, "start_date", "overlaps another exposure to the same product (2025-01-01")


def test_it_refuses_exposures_overlapping_within_the_same_file(tmp_path, patient, product):
    exposures = write_csv(tmp_path, "exposures", exposure_row(start="2025-01-01", end="2025-01-31"),
                          exposure_row(start="2025-02-01", end="2025-02-28"),
                          exposure_row(start="2025-02-15", end="2025-03-31"))
    result = pv_csv_import(exposures=exposures)
    assert_refused(result, exposures, 4, "start_date", "overlaps another exposure to the same product (2025-02-01")
    assert [problem.line for problem in result.errors] == [4]
    assert not ExposurePeriod.objects.exists()


def test_it_accepts_a_dose_change_as_consecutive_periods(tmp_path, patient, product):
    exposures = write_csv(tmp_path, "exposures", exposure_row(start="2025-01-01", end="2025-01-31"),
                          exposure_row(start="2025-02-01", dose="200"))
    assert pv_csv_import(exposures=exposures).ok
    assert ExposurePeriod.objects.count() == 2


@pytest.mark.parametrize("row, field, reason", [
    (reaction_row(resolution="2025-01-31"), "resolution_date", "resolution date is before the onset date"),
    (reaction_row(onset=(today() + timedelta(days=2)).isoformat(), resolution="", outcome="unknown"),
     "onset_date", "cannot be in the future"),
    (reaction_row(resolution=(today() + timedelta(days=2)).isoformat()), "resolution_date", "cannot be in the future"),
    (reaction_row(onset="2024-12-31", resolution="", outcome="unknown"), "onset_date",
     "before the patient's first exposure to this product (2025-01-01)"),
    (reaction_row(outcome="fatal"), "seriousness", "fatal outcome requires the seriousness criterion"),
    (reaction_row(seriousness="death"), "outcome", "requires the outcome 'Fatal'"),
    (reaction_row(grade="5"), "ctcae_grade", "grade 5 means death"),
    (reaction_row(resolution=""), "resolution_date", "recovered reaction needs a resolution date"),
    (reaction_row(outcome="recovering"), "outcome", "cannot be recovering or not recovered"),
    (reaction_row(severity="huge"), "severity", "Allowed: mild, moderate, severe"),
    (reaction_row(severity=""), "severity", "cannot be blank"),
    (reaction_row(grade="7"), "ctcae_grade", "Allowed: 1, 2, 3, 4, 5"),
    (reaction_row(grade="two"), "ctcae_grade", "'two' is not a whole number"),
    (reaction_row(symptoms="erythema;itching"), "symptoms", "Unknown value(s) itching"),
    (reaction_row(symptoms=""), "symptoms", "cannot be blank"),
    (reaction_row(seriousness="serious"), "seriousness", "Unknown value(s) serious"),
    (reaction_row(outcome="cured"), "outcome", "Allowed: recovered, recovering"),
    (reaction_row(onset="2025-02-30"), "onset_date", "'2025-02-30' is not a date"),
    (reaction_row(ref=""), "reaction_ref", "a value is required"),
    (reaction_row(ref="R" * 51), "reaction_ref", "at most 50 characters"),
    (reaction_row(patient="P-404"), "patient_ref", "unknown patient 'P-404'"),
])
def test_it_refuses_a_bad_reaction_row(tmp_path, exposure, row, field, reason):
    before = snapshot()
    reactions = write_csv(tmp_path, "reactions", reaction_row("R-0"), row)
    result = pv_csv_import(reactions=reactions)
    assert_refused(result, reactions, 3, field, reason)
    assert snapshot() == before


@pytest.mark.parametrize("extra, field, reason", [
    (("elbow", "", ""), "injection_site", "Allowed: abdomen_left"),
    (("", "big", ""), "diameter_mm", "'big' is not a whole number"),
    (("", "2000", ""), "diameter_mm", "less than or equal to 1000"),
    (("", "-3", ""), "diameter_mm", "greater than or equal to 0"),
    (("", "", "1234"), "meddra_llt_code", "8 digits"),
])
def test_it_refuses_bad_optional_columns(tmp_path, exposure, extra, field, reason):
    header = ("reaction_ref,patient_ref,product_code,onset_date,resolution_date,severity,ctcae_grade,symptoms,"
              "seriousness,outcome,injection_site,diameter_mm,meddra_llt_code")
    reactions = write_csv(tmp_path, "reactions", reaction_row(extra=extra), header=header)
    assert_refused(pv_csv_import(reactions=reactions), reactions, 2, field, reason)
    assert not InjectionSiteReaction.objects.exists()


def test_it_refuses_a_reaction_without_any_exposure(tmp_path, patient, product):
    reactions = write_csv(tmp_path, "reactions", REACTION)
    assert_refused(pv_csv_import(reactions=reactions), reactions, 2, "onset_date", "no recorded exposure")


@pytest.mark.parametrize("kind, rows, field, reason", [
    ("patients", ("P-1,site-01,female,1970", "P-1,site-01,male,1971"), "patient_ref",
     "patient 'P-1' of site 'site-01' appears twice in the file (first on line 2)"),
    ("patients", ("P-1,site-01,female,1970", "P-1,site-02,male,1971", "P-1,site-01,male,1971"), "patient_ref",
     "appears twice"),
    ("exposures", (EXPOSURE, exposure_row(dose="200")), "start_date", "appears twice in the file (first on line 2)"),
    ("reactions", (REACTION, reaction_row(onset="2025-02-02")), "reaction_ref",
     "reaction 'R-1' appears twice in the file (first on line 2)"),
])
def test_it_refuses_a_reference_given_twice_in_a_file(tmp_path, patient, product, kind, rows, field, reason):
    ExposurePeriodFactory(patient=patient, product=product, start_date=date(2024, 1, 1), end_date=date(2024, 6, 30))
    before = snapshot()
    path = write_csv(tmp_path, kind, *rows)
    result = pv_csv_import(**{kind: path})
    assert_refused(result, path, len(rows) + 1, field, reason)
    assert snapshot() == before


def test_it_imports_a_late_onset_reaction_and_flags_it(tmp_path, patient, product):
    ExposurePeriodFactory(patient=patient, product=product, start_date=date(2025, 1, 1), end_date=date(2025, 1, 31))
    reactions = write_csv(tmp_path, "reactions", reaction_row(onset="2025-03-15", resolution="2025-03-20"))
    result = pv_csv_import(reactions=reactions)
    assert result.ok, messages(result)
    assert InjectionSiteReaction.objects.get().late_onset_flag is True
    assert result.files["reactions"].flagged == 1
    assert [str(w) for w in result.warnings] == [
        f"{reactions}:2: onset_date: onset more than 30 days after the last exposure ended; "
        "imported and flagged for review"]


def test_it_refuses_a_probable_duplicate_unless_confirmed(tmp_path, exposure):
    ReactionFactory(reaction_ref="R-OLD", patient=exposure.patient, onset_date=date(2025, 2, 1))
    reactions = write_csv(tmp_path, "reactions", REACTION)
    assert_refused(pv_csv_import(reactions=reactions), reactions, 2, "onset_date", "probable duplicate of R-OLD")

    result = pv_csv_import(reactions=reactions, confirm_duplicates=True)
    assert result.ok, messages(result)
    assert InjectionSiteReaction.objects.get(reaction_ref="R-1").duplicate_confirmed is True


def test_it_refuses_a_probable_duplicate_within_the_same_file(tmp_path, exposure):
    reactions = write_csv(tmp_path, "reactions", REACTION, reaction_row("R-2"))
    assert_refused(pv_csv_import(reactions=reactions), reactions, 3, "onset_date", "probable duplicate of R-1")
    assert not InjectionSiteReaction.objects.exists()


def test_it_ignores_a_voided_reaction_for_the_duplicate_rule(tmp_path, exposure):
    from django.utils import timezone
    ReactionFactory(reaction_ref="R-OLD", patient=exposure.patient, onset_date=date(2025, 2, 1),
                    voided_at=timezone.now())
    assert pv_csv_import(reactions=write_csv(tmp_path, "reactions", REACTION)).ok


# Patient references across sites --------------------------------------------------------------------


def test_it_asks_for_the_site_when_a_patient_ref_exists_at_several_sites(tmp_path, exposure, other_site):
    ExposurePeriodFactory(patient=PatientFactory(site=other_site, patient_ref="P-001"))
    reactions = write_csv(tmp_path, "reactions", REACTION)
    assert_refused(pv_csv_import(reactions=reactions), reactions, 2, "site",
                   "patient 'P-001' exists at several sites (site-01, site-02); fill in the 'site' column")

    header = ("site,reaction_ref,patient_ref,product_code,onset_date,resolution_date,severity,ctcae_grade,"
              "symptoms,seriousness,outcome")
    reactions = write_csv(tmp_path, "reactions", "site-02," + REACTION, header=header)
    result = pv_csv_import(reactions=reactions)
    assert result.ok, messages(result)
    assert InjectionSiteReaction.objects.get().patient.site == other_site


def test_it_refuses_a_site_column_naming_another_site(tmp_path, exposure, other_site):
    header = ("patient_ref,product_code,start_date,end_date,dose_mg_per_day,route,lot_number,site")
    exposures = write_csv(tmp_path, "exposures", exposure_row(start="2024-01-01", end="2024-02-01") + ",site-02",
                          header=header)
    assert_refused(pv_csv_import(exposures=exposures), exposures, 2, "patient_ref",
                   "unknown patient 'P-001' at site 'site-02'")


def test_it_names_the_refused_patient_row_in_rows_that_refer_to_it(tmp_path, product):
    patients = write_csv(tmp_path, "patients", "P-1,site-01,female,1850")
    exposures = write_csv(tmp_path, "exposures", exposure_row("P-1"))
    result = pv_csv_import(patients=patients, exposures=exposures)
    assert_refused(result, patients, 2, "birth_year", "Birth year must be between 1900")
    assert_refused(result, exposures, 2, "patient_ref", f"patient 'P-1' was refused ({patients}:2)")


def test_it_refuses_rows_of_a_voided_patient(tmp_path, exposure):
    from django.utils import timezone
    Patient.objects.filter(pk=exposure.patient.pk).update(voided_at=timezone.now())
    reactions = write_csv(tmp_path, "reactions", REACTION)
    assert_refused(pv_csv_import(reactions=reactions), reactions, 2, "patient_ref", "is voided")


def test_a_patient_row_of_another_site_is_another_patient(tmp_path, patient, other_site):
    patients = write_csv(tmp_path, "patients", "P-001,site-02,male,1990")
    result = pv_csv_import(patients=patients)
    assert result.ok and result.files["patients"].created == 1
    assert Patient.objects.filter(patient_ref="P-001").count() == 2



# Less common refusals ------------------------------------------------------------------------------


def test_it_accepts_excel_style_crlf_line_endings_with_a_byte_order_mark(tmp_path, exposure):
    path = tmp_path / "reactions.csv"
    path.write_bytes(b"\xef\xbb\xbf" + write_csv(tmp_path, "reactions", REACTION, name="lf.csv").read_bytes()
                     .replace(b"\n", b"\r\n"))
    assert pv_csv_import(reactions=path).ok


def test_it_refuses_a_row_that_cannot_be_read_as_csv(tmp_path, site):
    path = write_csv(tmp_path, "patients", "P-1,site-01,female,1970", "P-2,site-01,female," + "9" * 200_000,
                     "P-3,site-01,female,1850")
    result = pv_csv_import(patients=path)
    assert_refused(result, path, 3, "row", "cannot be read as CSV: field larger than field limit")
    assert_refused(result, path, 4, "birth_year", "between 1900")  # reading goes on after the bad row
    assert not Patient.objects.exists()


def test_it_refuses_a_row_with_a_nul_character(tmp_path, site):
    path = tmp_path / "patients.csv"
    path.write_bytes(b"patient_ref,site,sex,birth_year\nP-1,site-01,female,1970\nP-\x002,site-01,male,1960\n")
    assert_refused(pv_csv_import(patients=path), path, 3, "row", "contains a NUL character")
    assert not Patient.objects.exists()


def test_it_refuses_a_site_bound_actor_rows_of_another_sites_patient(tmp_path, reporter, other_site, product):
    ExposurePeriodFactory(patient=PatientFactory(site=other_site, patient_ref="P-001"))
    reactions = write_csv(tmp_path, "reactions", REACTION)
    assert_refused(pv_csv_import(reactions=reactions, actor=reporter), reactions, 2, "patient_ref",
                   "belongs to another site than yours")


def test_it_refuses_to_change_a_voided_patient(tmp_path, patient):
    from django.utils import timezone
    Patient.objects.filter(pk=patient.pk).update(voided_at=timezone.now())
    patients = write_csv(tmp_path, "patients", "P-001,site-01,male,1950")
    assert_refused(pv_csv_import(patients=patients), patients, 2, "patient_ref", "is voided")


def test_it_refuses_to_change_a_voided_reaction(tmp_path, exposure):
    from django.utils import timezone
    assert pv_csv_import(reactions=write_csv(tmp_path, "reactions", REACTION)).ok
    InjectionSiteReaction.objects.update(voided_at=timezone.now())
    reactions = write_csv(tmp_path, "reactions", reaction_row(severity="moderate"))
    assert_refused(pv_csv_import(reactions=reactions), reactions, 2, "reaction_ref", "is voided")


def test_it_refuses_to_change_a_reactions_product(tmp_path, exposure):
    from tests.factories import ProductFactory
    ProductFactory(code="rilonacept")
    ExposurePeriodFactory(patient=exposure.patient, product=Product.objects.get(code="rilonacept"))
    assert pv_csv_import(reactions=write_csv(tmp_path, "reactions", REACTION)).ok
    reactions = write_csv(tmp_path, "reactions", REACTION.replace("anakinra", "rilonacept"))
    assert_refused(pv_csv_import(reactions=reactions), reactions, 2, "product_code", "another product")


def test_it_checks_the_duplicate_rule_again_when_an_update_moves_the_onset(tmp_path, exposure):
    ReactionFactory(reaction_ref="R-OTHER", patient=exposure.patient, onset_date=date(2025, 2, 5))
    assert pv_csv_import(reactions=write_csv(tmp_path, "reactions", REACTION)).ok
    reactions = write_csv(tmp_path, "reactions", reaction_row(onset="2025-02-05"))
    assert_refused(pv_csv_import(reactions=reactions), reactions, 2, "onset_date", "probable duplicate of R-OTHER")
