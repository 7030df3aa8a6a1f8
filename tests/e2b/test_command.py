"""export_e2b: one validated batch file, or a non-zero exit naming each refused case and no file."""
import pytest
from django.core.management import CommandError, call_command

from apps.e2b import xml
from apps.e2b.models import E2bExport
from tests.e2b.icsr import messages, parse, read_case

pytestmark = pytest.mark.django_db


def test_it_writes_one_validated_batch(sender, make_case, tmp_path, capsys):
    first, second = make_case(), make_case(seriousness=["life_threatening"], outcome="recovering",
                                           resolution_date=None)
    out = tmp_path / "batch.xml"
    call_command("export_e2b", "--reaction-ref", first.reaction_ref, "--reaction-ref", second.reaction_ref,
                 "--out", str(out))

    root = parse(out.read_bytes())
    assert xml.schema().validate(root)
    cases = [read_case(m) for m in messages(root)]
    assert [c["case_id"] for c in cases] == [f"GB-PVTRACK-{first.reaction_ref}", f"GB-PVTRACK-{second.reaction_ref}"]
    assert cases[1]["seriousness"]["life_threatening"]
    output = capsys.readouterr().out
    assert f"{first.reaction_ref}: case GB-PVTRACK-{first.reaction_ref} version 1" in output
    assert "Wrote 2 ICSR(s)" in output
    assert list(E2bExport.objects.values_list("created_by", flat=True)) == [None, None]
    assert not list(tmp_path.glob("*.part"))


def test_it_names_each_refused_reaction_and_writes_no_file(sender, make_case, tmp_path):
    ready, uncoded, unassessed = make_case(), make_case(meddra_llt_code=""), make_case(causality="")
    out = tmp_path / "batch.xml"
    with pytest.raises(CommandError) as error:
        call_command("export_e2b", "--reaction-ref", ready.reaction_ref, "--reaction-ref", uncoded.reaction_ref,
                     "--reaction-ref", unassessed.reaction_ref, "--out", str(out))

    message = str(error.value)
    assert "no file written" in message
    assert f"{uncoded.reaction_ref}: MedDRA LLT code (E.i.2.1b) is missing." in message
    assert f"{unassessed.reaction_ref}: Causality (G.k.9.i.2.r.3) has not been assessed by a reviewer." in message
    assert ready.reaction_ref not in message
    assert not out.exists()
    assert not E2bExport.objects.exists()


def test_it_refuses_without_a_sender_organisation(make_case, tmp_path):
    reaction = make_case()
    with pytest.raises(CommandError, match="all reactions: No E2B sender organisation is configured"):
        call_command("export_e2b", "--reaction-ref", reaction.reaction_ref, "--out", str(tmp_path / "x.xml"))
    assert not (tmp_path / "x.xml").exists()


def test_it_refuses_an_unknown_reference_or_folder(sender, make_case, tmp_path):
    reaction = make_case()
    with pytest.raises(CommandError, match="No reaction with reference NOPE; no file written."):
        call_command("export_e2b", "--reaction-ref", reaction.reaction_ref, "--reaction-ref", "NOPE",
                     "--out", str(tmp_path / "x.xml"))
    with pytest.raises(CommandError, match="does not exist; no file written"):
        call_command("export_e2b", "--reaction-ref", reaction.reaction_ref, "--out", str(tmp_path / "no" / "x.xml"))
    assert not E2bExport.objects.exists()
