"""SDTM AE, EX and SUPPAE transport files read back with two independent readers (pyreadstat, pandas)."""
import io
import zipfile
from datetime import date
from decimal import Decimal

import pandas as pd
import pyreadstat
import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from apps.e2b.models import MeddraTerm
from tests.factories import ExposurePeriodFactory, PatientFactory, ReactionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def hand_built(site, product, sender):
    """One patient, two exposure periods and one serious reaction with every AE variable filled."""
    patient = PatientFactory(site=site, patient_ref="P-042")
    ExposurePeriodFactory(patient=patient, product=product, start_date=date(2025, 1, 1), end_date=date(2025, 1, 31),
                          dose_mg_per_day=Decimal("100"), lot_number="LOT-A")
    ExposurePeriodFactory(patient=patient, product=product, start_date=date(2025, 2, 1), end_date=None,
                          dose_mg_per_day=Decimal("50"), lot_number="")
    MeddraTerm.objects.create(version="27.1", llt_code="10022086", llt_name="Injection site erythema",
                              pt_code="10022061", pt_name="Injection site erythema")
    reaction = ReactionFactory(
        patient=patient, product=product, reaction_ref="R-42", onset_date=date(2025, 1, 10),
        resolution_date=date(2025, 1, 24), severity="moderate", ctcae_grade=2, symptoms=["erythema", "swelling"],
        seriousness=["hospitalisation"], outcome="recovered", action_taken="unchanged", causality="probable",
        injection_site="thigh_left", diameter_mm=35, meddra_llt_code="10022086", meddra_version="27.1")
    return reaction


def read_both(path):
    """pyreadstat's rows and metadata, and pandas' own SAS transport reader's rows."""
    frame, meta = pyreadstat.read_xport(str(path))
    other = pd.read_sas(str(path), format="xport", encoding="utf-8")
    return frame, meta, other


def test_ae_ex_and_suppae_read_back_with_two_libraries(hand_built, tmp_path):
    call_command("export_sdtm", "--out", str(tmp_path))

    ae, meta, ae_pandas = read_both(tmp_path / "ae.xpt")
    assert meta.table_name == "AE"
    assert list(ae.columns) == list(ae_pandas.columns)
    assert list(ae.columns)[:6] == ["STUDYID", "DOMAIN", "USUBJID", "AESEQ", "AESPID", "AETERM"]
    assert all(len(name) <= 8 for name in ae.columns)
    assert meta.column_names_to_labels["AESTDTC"] == "Start Date/Time of Adverse Event"
    assert meta.column_names_to_labels["AEDECOD"] == "Dictionary-Derived Term"
    assert all(len(label) <= 40 for label in meta.column_labels)
    for frame in (ae, ae_pandas):
        row = frame.iloc[0]
        assert row["STUDYID"] == "ISR-001" and row["DOMAIN"] == "AE" and row["USUBJID"] == "ISR-001-site-01-P-042"
        assert row["AESEQ"] == 1 and row["AESPID"] == "R-42"
        assert row["AETERM"] == "Injection site reaction: erythema, swelling"
        assert row["AELLT"] == "Injection site erythema" and row["AELLTCD"] == 10022086
        assert row["AEDECOD"] == "Injection site erythema" and row["AEPTCD"] == 10022061
        assert (row["AELOC"], row["AELAT"]) == ("THIGH", "LEFT")
        assert (row["AESEV"], row["AETOXGR"], row["AESER"], row["AESHOSP"], row["AESDTH"]) == (
            "MODERATE", "2", "Y", "Y", "N")
        assert (row["AEOUT"], row["AEREL"], row["AEACN"]) == ("RECOVERED/RESOLVED", "PROBABLE/LIKELY",
                                                              "DOSE NOT CHANGED")
        assert (row["AESTDTC"], row["AEENDTC"]) == ("2025-01-10", "2025-01-24")

    ex, ex_meta, ex_pandas = read_both(tmp_path / "ex.xpt")
    assert ex_meta.table_name == "EX" and ex_meta.column_names_to_labels["EXTRT"] == "Name of Treatment"
    for frame in (ex, ex_pandas):
        assert list(frame["EXSEQ"]) == [1, 2] and list(frame["EXDOSE"]) == [100, 50]
        assert set(frame["EXROUTE"]) == {"SUBCUTANEOUS"} and set(frame["EXDOSU"]) == {"mg"}
        assert list(frame["EXLOT"]) == ["LOT-A", ""]
        assert list(frame["EXSTDTC"]) == ["2025-01-01", "2025-02-01"]
        assert list(frame["EXENDTC"]) == ["2025-01-31", ""]
        assert frame.iloc[0]["EXTRT"] == "KINERET (ANAKINRA)"

    supp, supp_meta, supp_pandas = read_both(tmp_path / "suppae.xpt")
    assert supp_meta.table_name == "SUPPAE"
    for frame in (supp, supp_pandas):
        row = frame.iloc[0]
        assert (row["RDOMAIN"], row["IDVAR"], row["IDVARVAL"], row["QNAM"], row["QVAL"]) == (
            "AE", "AESEQ", "1", "AEDIAM", "35")
        assert row["QLABEL"] == "Largest Diameter (mm)"


def test_the_listing_export_holds_what_the_filter_shows(hand_built, reviewer, client, exposure):
    ReactionFactory(patient=exposure.patient, product=exposure.product, reaction_ref="R-MILD", seriousness=[],
                    severity="mild", onset_date=date(2025, 1, 5))
    client.force_login(reviewer)
    response = client.get(reverse("sdtm:reactions"), {"serious": "yes"})
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    assert sorted(archive.namelist()) == ["ae.xpt", "ex.xpt", "suppae.xpt"]
    ae = pd.read_sas(io.BytesIO(archive.read("ae.xpt")), format="xport", encoding="utf-8")
    assert list(ae["AESPID"]) == ["R-42"]


def test_a_reporter_exports_only_their_site(hand_built, other_reporter, client, tmp_path):
    client.force_login(other_reporter)
    archive = zipfile.ZipFile(io.BytesIO(client.get(reverse("sdtm:reactions")).content))
    (tmp_path / "ae.xpt").write_bytes(archive.read("ae.xpt"))
    frame, meta = pyreadstat.read_xport(str(tmp_path / "ae.xpt"))
    assert frame.empty and meta.table_name == "AE" and "AESTDTC" in meta.column_names


def test_a_bad_filter_is_refused_naming_it(tmp_path, db):
    with pytest.raises(CommandError, match="--filter onset_date: Enter a valid date"):
        call_command("export_sdtm", "--out", str(tmp_path), "--filter", "onset_date_after=not-a-date")
