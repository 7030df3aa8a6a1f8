"""The E2B(R3) inbox: schema first, refusals keep only the refusal, cases queue for triage."""
import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from lxml import etree

from apps.e2b.acknowledgement import validate_acknowledgement
from apps.e2b.inbox import e2b_import, incoming_case_dismiss
from apps.e2b.inbox_models import IncomingBatch, IncomingCase
from apps.e2b.services import e2b_export
from apps.reactions.models import InjectionSiteReaction

pytestmark = pytest.mark.django_db

FDA_EXAMPLE = Path(__file__).resolve().parents[3] / "shared" / "reference" / "e2b-r3-example-FAERS2022Scenario1.xml"
if not FDA_EXAMPLE.exists():  # a worktree is one level deeper than the main checkout
    FDA_EXAMPLE = Path("/work/shared/reference/e2b-r3-example-FAERS2022Scenario1.xml")
HL7 = "{urn:hl7-org:v3}"


def ack_codes(xml_text):
    root = etree.fromstring(xml_text.encode())
    return ([a.get("typeCode") for a in root.iterfind(f"{HL7}acknowledgement")],
            [a.get("typeCode") for a in root.iterfind(f"{HL7}MCCI_IN000002UV01/{HL7}acknowledgement")])


def run_import(path, *args):
    out = StringIO()
    call_command("import_e2b", str(path), *args, stdout=out)
    return out.getvalue()


def test_the_fda_example_gives_its_case_reactions_and_four_drugs(tmp_path):
    ack_path = tmp_path / "ack.xml"
    cases = json.loads(run_import(FDA_EXAMPLE, "--json", "--ack", str(ack_path)))

    assert len(cases) == 1
    case = cases[0]
    assert case["case_id"] == "US-APHARMA-8744554B"
    assert case["worldwide_id"] == "US-APHARMA-8744554B"
    assert case["sender"] == "4567AB89012"
    assert case["patient_sex"] == "1"
    assert case["reactions"] == [{"meddra_code": "10027940", "onset": "20141010", "end": ""},
                                 {"meddra_code": "10009896", "onset": "20141010", "end": ""}]
    assert case["drugs"] == ["CureAll", "Drug A", "Drug B", "Drug C"]
    stored = IncomingCase.objects.get()
    assert stored.first_received == "20220614101010-0500" and stored.report_type == "1"
    assert stored.patient_age == "48 a"
    assert [d["role"] for d in stored.parsed["drugs"]] == ["drug history (D.8)", "suspect", "suspect", "concomitant"]
    assert stored.parsed["drugs"][1]["dosages"][0]["route"] == "Oral"
    assert stored.parsed["reactions"][0]["seriousness"] == ["disability", "other_medically_important"]
    assert stored.parsed["reactions"][1]["outcome"] == "1"
    assert stored.raw_xml.startswith("<PORR_IN049016UV")
    # The positive acknowledgement validates and accepts the batch and its message.
    ack = ack_path.read_text()
    assert validate_acknowledgement(ack.encode()) == []
    assert ack_codes(ack) == (["AA"], ["CA"])
    assert "FAERS2022Scenario1-4069-a2dd-08002b30309d" in ack


def test_a_file_that_breaks_the_schema_is_refused_with_its_line_and_nothing_but_the_refusal_is_stored(tmp_path):
    lines = FDA_EXAMPLE.read_text().splitlines(keepends=True)
    number = next(i for i, line in enumerate(lines) if "<statusCode" in line)
    lines[number] = lines[number].replace("<statusCode", "<statusCodeX")
    lines[number] = lines[number].replace("/>", "/>") if "/>" in lines[number] else lines[number]
    broken = tmp_path / "broken.xml"
    broken.write_text("".join(lines))

    with pytest.raises(CommandError) as refused:
        run_import(broken)

    assert f"broken.xml:line {number + 1}:" in str(refused.value)
    assert "statusCodeX" in str(refused.value)
    assert IncomingCase.objects.count() == 0
    batch = IncomingBatch.objects.get()
    assert batch.status == IncomingBatch.Status.REFUSED and batch.errors[0].startswith(f"line {number + 1}:")
    assert validate_acknowledgement(batch.acknowledgement_xml.encode()) == []
    assert ack_codes(batch.acknowledgement_xml) == (["AR"], [])


def test_a_file_that_is_not_xml_is_refused_with_its_line(tmp_path):
    result = e2b_import(content=b"<MCCI_IN200100UV01>\n<id>\n</MCCI_IN200100UV01>", filename="bad.xml")
    assert not result.accepted and result.batch.errors[0].startswith("line 3:")
    assert validate_acknowledgement(result.batch.acknowledgement_xml.encode()) == []
    assert IncomingCase.objects.count() == 0


def test_an_export_of_a_tracked_case_imports_back_to_the_same_fields(sender, make_case):
    reaction = make_case(seriousness=["hospitalisation"], outcome="recovered")
    exported = e2b_export(reactions=[reaction])

    result = e2b_import(content=exported.xml, filename="own.xml")

    case = result.cases[0]
    assert case.case_id == case.worldwide_id == exported.exports[0].case_id
    assert case.message_id == exported.exports[0].message_id
    assert case.sender == "PVTRACK" and case.patient_sex == "2" and case.patient_age == "65 a"
    parsed = case.parsed
    assert [(r["meddra_code"], r["meddra_version"], r["onset"], r["end"], r["outcome"], r["seriousness"])
            for r in parsed["reactions"]] == [("10022086", "27.1", "20250110", "20250130", "1", ["hospitalisation"])]
    assert [(d["name"], d["role"]) for d in parsed["drugs"]] == [("Kineret (anakinra)", "suspect")]
    dosage = parsed["drugs"][0]["dosages"][0]
    assert (dosage["dose"], dosage["unit"], dosage["route_code"], dosage["start"], dosage["lot"]) == (
        "100", "mg", "058", "20250101", "LOT-1")
    assert parsed["primary_source_qualification"] == "1" and parsed["report_type"] == "2"


def test_a_later_version_links_to_the_earlier_one_and_shows_what_changed(sender, make_case, reviewer, client):
    reaction = make_case()
    first = e2b_import(content=e2b_export(reactions=[reaction]).xml).cases[0]
    InjectionSiteReaction.objects.filter(pk=reaction.pk).update(version=reaction.version + 1,
                                                                resolution_date="2025-02-01")
    reaction.refresh_from_db()
    second = e2b_import(content=e2b_export(reactions=[reaction]).xml).cases[0]

    assert second.previous == first
    client.force_login(reviewer)
    page = client.get(reverse("e2b:incoming_case", args=[second.pk])).content.decode()
    assert 'id="changes"' in page and "20250201" in page and "20250130" in page


def test_a_nullification_marks_the_earlier_versions(sender, make_case, reviewer):
    from apps.audit.models import SignedAct
    from apps.e2b.services import e2b_nullify
    from tests.factories import signed

    reaction = make_case()
    first = e2b_import(content=e2b_export(reactions=[reaction]).xml).cases[0]
    nullification = e2b_import(content=e2b_nullify(reaction=reaction, actor=reviewer, reason="Entered twice",
                                                   signature=signed(reviewer, SignedAct.E2B_EXPORT)).xml).cases[0]

    first.refresh_from_db()
    assert nullification.is_nullification and nullification.parsed["nullification_reason"] == "Entered twice"
    assert first.nullified_by == nullification


def test_a_reviewer_turns_a_case_into_a_pre_filled_tracked_reaction(sender, make_case, reviewer, client, exposure):
    exported = e2b_export(reactions=[make_case()])
    case = e2b_import(content=exported.xml, actor=reviewer).cases[0]
    client.force_login(reviewer)
    url = reverse("e2b:incoming_accept", args=[case.pk]) + f"?patient_ref={exposure.patient.patient_ref}"

    form = client.get(url).context["form"]
    assert str(form["onset_date"].value()) == "2025-01-10" and form["outcome"].value() == "recovered"
    assert form["product"].value() == exposure.product.pk and form["meddra_llt_code"].value() == "10022086"

    data = {name: form[name].value() or "" for name in form.fields}
    data.update(reaction_ref="ICSR-1", severity="mild", symptoms=["erythema"], onset_date="2025-01-12",
                resolution_date="2025-01-30", confirm_duplicate="on", seriousness=[])
    response = client.post(url, data)
    assert response.status_code == 302, response.context["form"].errors
    case.refresh_from_db()
    assert case.triage == IncomingCase.Triage.ACCEPTED and case.reaction.reaction_ref == "ICSR-1"
    assert case.reaction.patient == exposure.patient and case.reaction.status == "draft"


def test_bad_input_on_the_accept_form_shows_the_form_errors_and_links_nothing(sender, make_case, reviewer, client,
                                                                              exposure):
    case = e2b_import(content=e2b_export(reactions=[make_case()]).xml).cases[0]
    client.force_login(reviewer)
    url = reverse("e2b:incoming_accept", args=[case.pk]) + f"?patient_ref={exposure.patient.patient_ref}"
    response = client.post(url, {"reaction_ref": "ICSR-2", "product": exposure.product.pk, "onset_date": "2024-01-01",
                                 "severity": "mild", "symptoms": ["erythema"], "outcome": "unknown",
                                 "action_taken": "unknown", "reporter_qualification": "physician",
                                 "received_date": "2025-02-01"})
    assert response.status_code == 200
    assert "before the patient&#x27;s first exposure" in str(response.context["form"].errors)
    case.refresh_from_db()
    assert case.is_pending and case.reaction is None


def test_a_dismissal_needs_a_reason_and_leaves_the_queue(sender, make_case, reviewer, client):
    case = e2b_import(content=e2b_export(reactions=[make_case()]).xml).cases[0]
    client.force_login(reviewer)
    url = reverse("e2b:incoming_dismiss", args=[case.pk])
    assert client.post(url, {"reason": ""}).status_code == 400
    assert client.post(url, {"reason": "Not an injection-site reaction"}).status_code == 302
    case.refresh_from_db()
    assert case.triage == IncomingCase.Triage.DISMISSED and case.dismiss_reason == "Not an injection-site reaction"
    with pytest.raises(Exception, match="already triaged"):
        incoming_case_dismiss(case=case, actor=reviewer, reason="again")
    queue = client.get(reverse("e2b:inbox")).content.decode().split('id="triage-queue"')[1].split("</table>")[0]
    assert case.case_id not in queue


def test_the_upload_page_refuses_a_broken_file_with_its_errors(reviewer, client):
    client.force_login(reviewer)
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.post(reverse("e2b:inbox"), {"file": SimpleUploadedFile("x.xml", b"<a>\n<b></a>")})
    assert response.status_code == 400 and "line 2" in response.content.decode()
    assert IncomingCase.objects.count() == 0 and IncomingBatch.objects.get().status == "refused"


def test_the_upload_page_queues_the_cases_of_a_valid_batch(reviewer, client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(reviewer)
    response = client.post(reverse("e2b:inbox"), {"file": SimpleUploadedFile("fda.xml", FDA_EXAMPLE.read_bytes())},
                           follow=True)
    assert "US-APHARMA-8744554B" in response.content.decode()
