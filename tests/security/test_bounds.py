"""Bounds: no request can ask for a huge page or store a huge text; references keep a safe alphabet;
download names cannot inject header parameters; no link is built from the Referer; patient data is not cached."""
import re
from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from apps.core.downloads import name_download, safe_filename
from apps.core.models import NARRATIVE_MAX_LENGTH
from apps.imports.services import pv_csv_import
from apps.patients.services import patient_create
from apps.reactions.services import reaction_create
from tests.e2b.conftest import make_case  # noqa: F401 (a fixture)
from tests.factories import SIGN_EXPORT, PatientFactory
from tests.imports.helpers import write_csv

pytestmark = pytest.mark.django_db

INJECTION = "Q\";filename*=UTF-8''pwn.html;x=\""


def test_per_page_is_capped_at_100(client, analyst, site):
    PatientFactory.create_batch(105, site=site)
    client.force_login(analyst)
    response = client.get(reverse("patients:list"), {"per_page": 100000})
    assert response.status_code == 200
    assert len(response.context["table"].page.object_list) == 100
    assert client.get(reverse("patients:list"), {"per_page": -5}).status_code == 200


def test_a_huge_narrative_is_refused_naming_the_field(client, reporter, exposure, product):
    with pytest.raises(ValidationError) as refused:
        reaction_create(reaction_ref="R-LONG", patient=exposure.patient, product=product, onset_date=date(2025, 2, 1),
                        severity="mild", symptoms=["pain"], outcome="not_recovered", actor=reporter,
                        narrative="x" * (NARRATIVE_MAX_LENGTH + 1))
    assert "narrative" in refused.value.message_dict
    client.force_login(reporter)
    response = client.post(reverse("reactions:create", args=[exposure.patient_id]), {
        "reaction_ref": "R-LONG", "product": product.pk, "onset_date": "2025-02-01", "severity": "mild",
        "symptoms": ["pain"], "outcome": "not_recovered", "action_taken": "unknown",
        "reporter_qualification": "physician", "narrative": "x" * 2_000_000})
    assert response.status_code == 200 and "narrative" in response.context["form"].errors
    assert not exposure.patient.reactions.exists()


@pytest.mark.parametrize("ref", [INJECTION, "R 1", "R<1>", "../etc", "R\n1"])
def test_references_keep_a_safe_alphabet(ref, reporter, site, exposure, product):
    with pytest.raises(ValidationError) as refused:
        reaction_create(reaction_ref=ref, patient=exposure.patient, product=product, onset_date=date(2025, 2, 1),
                        severity="mild", symptoms=["pain"], outcome="not_recovered", actor=reporter)
    assert "reaction_ref" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        patient_create(site=site, patient_ref=ref, sex="female", actor=reporter)
    assert "patient_ref" in refused.value.message_dict


def test_the_importer_refuses_unsafe_references(tmp_path, exposure):
    reactions = write_csv(tmp_path, "reactions", f'"{INJECTION.replace(chr(34), chr(34) * 2)}",P-001,anakinra,'
                                                 "2025-02-01,2025-02-10,mild,1,erythema,,recovered")
    result = pv_csv_import(reactions=reactions)
    assert not result.written and [problem.field for problem in result.errors] == ["reaction_ref"]
    lots = write_csv(tmp_path, "exposures", 'P-001,anakinra,2025-01-01,,100,subcutaneous,"LOT 1;x"')
    result = pv_csv_import(exposures=lots)
    assert not result.written and [problem.field for problem in result.errors] == ["lot_number"]


def test_a_download_name_cannot_inject_header_parameters(client, reviewer, sender, make_case):
    assert safe_filename(f"{INJECTION}.xml") == "Q_filename_UTF-8_pwn.html_x_.xml"
    assert safe_filename("../../.bashrc") == "bashrc"
    from django.http import HttpResponse

    header = name_download(HttpResponse(), f"case-{INJECTION}.pdf")["Content-Disposition"]
    assert header == 'attachment; filename="case-Q_filename_UTF-8_pwn.html_x_.pdf"'
    # A reference stored before the rule existed still gives a safe header.
    reaction = make_case()
    type(reaction).objects.filter(pk=reaction.pk).update(reaction_ref=INJECTION)
    client.force_login(reviewer)
    for name, method, data in (("e2b:reaction_export", "post", SIGN_EXPORT), ("e2b:case_form_pdf", "get", {})):
        response = getattr(client, method)(reverse(name, args=[reaction.pk]), data)
        assert response.status_code == 200, name
        disposition = response["Content-Disposition"]
        assert re.fullmatch(r'(attachment|inline); filename="[A-Za-z0-9._-]+"', disposition), disposition


def test_no_link_is_built_from_the_referer(client, reviewer, sender, make_case):
    reaction = make_case(meddra_llt_code="")  # refused: the MedDRA code is missing
    client.force_login(reviewer)
    response = client.post(reverse("e2b:reaction_export", args=[reaction.pk]), SIGN_EXPORT,
                           HTTP_REFERER="https://evil.example/x")
    assert response.status_code == 400
    assert b"evil.example" not in response.content
    assert reaction.get_absolute_url().encode() in response.content


def test_pages_and_exports_with_patient_data_are_not_cached(client, reporter, patient):
    client.force_login(reporter)
    for url in (reverse("patients:detail", args=[patient.pk]), reverse("patients:list") + "?_export=csv"):
        response = client.get(url)
        assert response.status_code == 200 and "no-store" in response["Cache-Control"], url


def test_a_long_case_form_stays_bounded(client, reviewer, sender, make_case):
    """The PDF of the longest narrative allowed renders (the 2 MB narrative that took 31 s can no longer exist)."""
    reaction = make_case(narrative="Erythema and swelling at the injection site. " * (NARRATIVE_MAX_LENGTH // 46))
    reaction.full_clean()
    client.force_login(reviewer)
    response = client.get(reverse("e2b:case_form_pdf", args=[reaction.pk]))
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
