"""Exports of single cases and batches: every document validates and reads back as the record."""
from datetime import date
from decimal import Decimal

import pytest
from lxml import etree

from apps.e2b import codes, xml
from apps.e2b.models import E2bExport, MeddraTerm, SenderOrganisation
from apps.e2b.services import ExportInvalid, ExportRefused, e2b_export
from apps.reactions.services import reaction_update
from tests.e2b.icsr import messages, parse, read_case
from tests.factories import ExposurePeriodFactory, PatientFactory, ReactionFactory, signed

pytestmark = pytest.mark.django_db

NON_FATAL_SERIOUSNESS = [
    [],
    ["life_threatening"],
    ["hospitalisation"],
    ["disability"],
    ["congenital_anomaly"],
    ["other_medically_important"],
    ["life_threatening", "hospitalisation", "other_medically_important"],
]
FATAL_SERIOUSNESS = [["death"], ["death", "life_threatening", "hospitalisation", "disability"]]
# (outcome, resolved): the combinations a valid record allows.
NON_FATAL_OUTCOMES = [("recovered", True), ("recovered_with_sequelae", True), ("recovering", False),
                      ("not_recovered", False), ("unknown", False), ("unknown", True)]
FATAL_OUTCOMES = [("fatal", True), ("fatal", False)]
COMBINATIONS = ([(s, o, r) for s in NON_FATAL_SERIOUSNESS for o, r in NON_FATAL_OUTCOMES]
                + [(s, o, r) for s in FATAL_SERIOUSNESS for o, r in FATAL_OUTCOMES])
OUTCOME_CODES = {"recovered": "1", "recovering": "2", "not_recovered": "3", "recovered_with_sequelae": "4",
                 "fatal": "5", "unknown": "0"}
ALL_CRITERIA = ["death", "life_threatening", "hospitalisation", "disability", "congenital_anomaly",
                "other_medically_important"]


def export_one(reaction, actor=None):
    signature = signed(actor, "e2b_export") if actor is not None else None
    result = e2b_export(reactions=[reaction], actor=actor, signature=signature)
    root = parse(result.xml)
    assert xml.schema().validate(root), xml.schema().error_log
    return result, read_case(messages(root)[0])


@pytest.mark.parametrize(("seriousness", "outcome", "resolved"), COMBINATIONS,
                         ids=[f"{'+'.join(s) or 'not_serious'}-{o}-{'resolved' if r else 'ongoing'}"
                              for s, o, r in COMBINATIONS])
def test_it_exports_every_consistent_seriousness_outcome_and_course(sender, make_case, seriousness, outcome,
                                                                     resolved):
    reaction = make_case(seriousness=seriousness, outcome=outcome,
                         resolution_date=date(2025, 1, 30) if resolved else None)
    result, case = export_one(reaction)

    assert case["case_id"] == case["worldwide_case_id"] == f"GB-PVTRACK-{reaction.reaction_ref}"
    assert case["outcome"] == OUTCOME_CODES[outcome]
    assert case["seriousness"] == {criterion: criterion in seriousness for criterion in ALL_CRITERIA}
    assert case["expedited"] == ("true" if seriousness else "false")
    assert case["onset"] == "20250110"
    if resolved:
        assert case["end"] == "20250130"
        assert case["duration"] == ("21", "d")
    else:
        assert case["end"] is None and case["duration"] is None
    assert result.exports[0].version_number == 1


def test_it_reads_back_patient_reaction_drug_and_causality_as_recorded(sender, make_case):
    reaction = make_case(causality="possible", action_taken="withdrawn", reporter_qualification="pharmacist",
                         narrative="Red patch after the third injection.")
    _, case = export_one(reaction)

    assert case["patient_name_flavor"] == "MSK"
    assert case["sex"] == "2"  # female
    assert case["age"] == ("65", "a")  # born 1960, onset 2025
    assert (case["meddra_code"], case["meddra_version"]) == ("10022086", "27.1")
    assert case["reaction_text"] == "Injection site reaction: erythema, swelling (abdomen, left)"
    assert case["drug"] == "Kineret (anakinra)"
    assert case["drug_role"] == "1"
    assert case["dose"] == ("100", "mg")
    assert case["route"] == "058"
    assert case["start"] == "20250101"
    assert case["lot"] == "LOT-1"
    assert case["action"] == "1"
    assert case["causality"] == "Possible"
    assert case["causality_method"] == codes.CAUSALITY_METHOD
    assert case["qualification"] == "2"
    assert case["reporter_names"] == ["MSK", "MSK"]
    assert case["report_type"] == "2"
    assert "P-001" not in case["narrative"]  # the pseudonymous reference stays at the site
    assert "Red patch after the third injection." in case["narrative"]
    assert "aged about 65 years" in case["narrative"]


def test_it_masks_unknown_sex_and_leaves_out_the_age_without_a_birth_year(sender, product):
    patient = PatientFactory(sex="unknown", birth_year=None)
    ExposurePeriodFactory(patient=patient, product=product, dose_mg_per_day=Decimal("100.50"), lot_number="")
    reaction = ReactionFactory(patient=patient, meddra_llt_code="10022086", meddra_version="27.1",
                               causality="certain")
    _, case = export_one(reaction)

    assert case["sex"] == "UNK"
    assert case["age"] is None
    assert case["dose"] == ("100.5", "mg")
    assert case["lot"] is None


def test_it_reports_every_dosage_period_up_to_the_onset(sender, patient, product):
    ExposurePeriodFactory(patient=patient, product=product, start_date=date(2025, 1, 1),
                          end_date=date(2025, 1, 31), dose_mg_per_day=Decimal("100"))
    ExposurePeriodFactory(patient=patient, product=product, start_date=date(2025, 2, 1),
                          dose_mg_per_day=Decimal("200"), lot_number="LOT-2")
    reaction = ReactionFactory(patient=patient, onset_date=date(2025, 2, 10), resolution_date=None,
                               outcome="recovering", meddra_llt_code="10022086", meddra_version="27.1",
                               causality="probable")
    result = e2b_export(reactions=[reaction])
    root = parse(result.xml)
    doses = root.xpath(".//h:doseQuantity/@value", namespaces={"h": codes.HL7_NS})
    assert doses == ["100", "200"]
    assert root.xpath(".//h:outboundRelationship1/h:pauseQuantity/@value", namespaces={"h": codes.HL7_NS}) == ["40"]


def test_it_exports_a_batch_with_one_message_per_reaction(sender, make_case, other_site, product):
    first, second = make_case(), make_case(seriousness=["hospitalisation"], outcome="not_recovered",
                                           resolution_date=None)
    other_patient = PatientFactory(site=other_site, sex="male")
    ExposurePeriodFactory(patient=other_patient, product=product)
    third = ReactionFactory(patient=other_patient, meddra_llt_code="10022086", meddra_version="27.1",
                            causality="unlikely")

    result = e2b_export(reactions=[first, second, third, first])
    root = parse(result.xml)

    assert xml.schema().validate(root)
    cases = [read_case(message) for message in messages(root)]
    assert [c["case_id"] for c in cases] == [f"GB-PVTRACK-{r.reaction_ref}" for r in (first, second, third)]
    assert [c["sex"] for c in cases] == ["2", "2", "1"]
    assert cases[1]["seriousness"]["hospitalisation"] and cases[1]["outcome"] == "3"
    assert len({c["message_id"] for c in cases}) == 3
    assert E2bExport.objects.filter(batch_id=result.batch_id).count() == 3
    assert result.filename == f"e2b-batch-{result.batch_id}.xml"


def test_a_follow_up_keeps_the_case_id_with_a_new_version_number_and_date(sender, make_case, reviewer):
    reaction = make_case(status="submitted", resolution_date=None, outcome="recovering")
    first, first_case = export_one(reaction, actor=reviewer)
    # The sender's settings change after the first report: the case id must not.
    SenderOrganisation.objects.filter(pk=sender.pk).update(sender_identifier="NEWID")

    resent, resent_case = export_one(reaction, actor=reviewer)
    reaction_update(reaction=reaction, actor=reviewer, outcome="recovered", resolution_date=date(2025, 2, 1),
                    reason="Follow-up: the reaction resolved")
    reaction.refresh_from_db()
    follow_up, follow_up_case = export_one(reaction, actor=reviewer)

    assert [e.version_number for e in (first.exports[0], resent.exports[0], follow_up.exports[0])] == [1, 1, 2]
    assert first_case["case_id"] == resent_case["case_id"] == follow_up_case["case_id"]
    assert follow_up_case["case_id"] == f"GB-PVTRACK-{reaction.reaction_ref}"
    assert follow_up_case["outcome"] == "1"
    assert follow_up_case["most_recent"] >= first_case["most_recent"]
    assert follow_up_case["first_received"] == first_case["first_received"]
    assert follow_up.filename == f"GB-PVTRACK-{reaction.reaction_ref}-v2.xml"
    assert list(reaction.e2b_exports.values_list("version_number", flat=True)) == [2, 1, 1]
    assert reaction.e2b_exports.first().created_by == reviewer


def test_it_refuses_cases_naming_each_missing_element(sender, make_case, product):
    uncoded = make_case(meddra_llt_code="", meddra_version="", causality="")
    draft = make_case(status="draft")
    patient = PatientFactory()
    ExposurePeriodFactory(patient=patient, product=product, start_date=date(2025, 3, 1))
    unexposed = ReactionFactory(patient=patient, meddra_llt_code="10022086", meddra_version="27.1",
                                causality="possible")
    ready = make_case()

    with pytest.raises(ExportRefused) as refused:
        e2b_export(reactions=[uncoded, draft, unexposed, ready])

    problems = refused.value.problems
    assert set(problems) == {uncoded.reaction_ref, draft.reaction_ref, unexposed.reaction_ref}
    assert problems[uncoded.reaction_ref] == [
        "MedDRA LLT code (E.i.2.1b) is missing.", "MedDRA version (E.i.2.1a) is missing.",
        "Causality (G.k.9.i.2.r.3) has not been assessed by a reviewer."]
    assert problems[draft.reaction_ref] == ["The reaction is still a draft: submit it first."]
    assert "dose and route (G.k.4.r) are missing" in problems[unexposed.reaction_ref][0]
    assert not E2bExport.objects.exists()


def test_it_refuses_every_export_until_a_sender_organisation_is_configured(make_case):
    reaction = make_case()
    with pytest.raises(ExportRefused) as refused:
        e2b_export(reactions=[reaction])
    assert "No E2B sender organisation is configured" in refused.value.problems[""][0]


def test_it_refuses_a_voided_case(sender, make_case, reviewer):
    from apps.reactions.services import reaction_void

    reaction = make_case()
    reaction_void(reaction=reaction, actor=reviewer, reason="entered twice")
    reaction.refresh_from_db()
    with pytest.raises(ExportRefused) as refused:
        e2b_export(reactions=[reaction])
    assert refused.value.problems[reaction.reaction_ref] == ["The reaction is voided and cannot be reported."]


def test_it_checks_the_code_against_a_loaded_dictionary(sender, make_case):
    MeddraTerm.objects.create(version="27.1", llt_code="10022086", llt_name="Injection site reaction",
                              pt_code="10022095", current=True)
    MeddraTerm.objects.create(version="27.1", llt_code="10000001", llt_name="Old term", pt_code="10022095",
                              current=False)
    unknown = make_case(meddra_llt_code="10099999")
    old = make_case(meddra_llt_code="10000001")
    with pytest.raises(ExportRefused) as refused:
        e2b_export(reactions=[unknown, old])
    assert refused.value.problems[unknown.reaction_ref] == [
        "The MedDRA LLT code 10099999 is not in MedDRA 27.1. (E.i.2.1b)"]
    assert "non-current" in refused.value.problems[old.reaction_ref][0]

    _, case = export_one(make_case())
    assert case["reaction_text"].startswith("Injection site reaction – ")


def test_an_invalid_document_is_never_recorded_and_names_what_to_fix(sender, make_case):
    # A value that passed no form (written straight to the database) breaks the schema.
    SenderOrganisation.objects.filter(pk=sender.pk).update(sender_type="")
    reaction = make_case()
    with pytest.raises(ExportInvalid) as invalid:
        e2b_export(reactions=[reaction])
    assert len(invalid.value.errors) == 1
    assert invalid.value.errors[0].startswith(
        f"case GB-PVTRACK-{reaction.reaction_ref}: sender organisation: type, country or name "
        "(E2B sender organisation settings) – line ")
    assert not E2bExport.objects.exists()


def test_the_schema_rejects_a_message_without_its_case_identifier(sender, make_case):
    result = e2b_export(reactions=[make_case()])
    root = etree.fromstring(result.xml)
    event = root.find(f".//{{{codes.HL7_NS}}}investigationEvent")
    for identifier in event.findall(f"{{{codes.HL7_NS}}}id"):
        event.remove(identifier)
    errors = xml.validate_document(root)
    assert len(errors) == 1
    assert errors[0].startswith("case identification, dates or narrative (C.1, H.1) – line ")
    assert "(investigationEvent/code)" in errors[0]
