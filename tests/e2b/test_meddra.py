"""MedDRA support: checking codes, loading a licensed user's llt.asc, the user's ISR term list."""
import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from apps.e2b.models import meddra_code_problem
from apps.e2b.models import IsrTerm, MeddraTerm

pytestmark = pytest.mark.django_db

# Made-up lines in the llt.asc layout (no MedDRA content ships with the tracker).
LLT_LINES = [
    "10000001$Test term one$10000100$$$$$$$Y$$",
    "10000002$Test term two$10000100$$$$$$$N$$",
    "10000003$Test term three$10000200$$$$$$$Y$$",
]
PT_LINES = ["10000100$Test preferred term$$$$$$$$$", "10000200$Other preferred term$$$$$$$$$"]


@pytest.fixture
def ascii_dir(tmp_path):
    (tmp_path / "llt.asc").write_text("\n".join(LLT_LINES) + "\n", encoding="utf-8")
    (tmp_path / "pt.asc").write_text("\n".join(PT_LINES) + "\n", encoding="utf-8")
    return tmp_path


def test_it_loads_a_version_from_the_ascii_files(ascii_dir, capsys):
    call_command("import_meddra", "--version", "27.1", str(ascii_dir))

    assert "Loaded 3 lowest level terms of MedDRA 27.1." in capsys.readouterr().out
    one = MeddraTerm.objects.get(llt_code="10000001")
    assert (one.llt_name, one.pt_code, one.pt_name, one.version, one.current) == (
        "Test term one", "10000100", "Test preferred term", "27.1", True)
    assert MeddraTerm.objects.get(llt_code="10000002").current is False


def test_reloading_a_version_replaces_it_and_keeps_other_versions(ascii_dir):
    call_command("import_meddra", "--version", "27.0", str(ascii_dir))
    call_command("import_meddra", "--version", "27.1", str(ascii_dir))
    (ascii_dir / "llt.asc").write_text(LLT_LINES[0] + "\n", encoding="utf-8")
    call_command("import_meddra", "--version", "27.1", str(ascii_dir))

    assert MeddraTerm.objects.filter(version="27.1").count() == 1
    assert MeddraTerm.objects.filter(version="27.0").count() == 3


def test_it_reads_latin_1_files(tmp_path):
    (tmp_path / "LLT.ASC").write_bytes("10000001$Réaction au site$10000100$$$$$$$Y$$\n".encode("latin-1"))
    call_command("import_meddra", "--version", "27.1", str(tmp_path))
    assert MeddraTerm.objects.get().llt_name == "Réaction au site"


def test_a_malformed_file_loads_nothing_and_names_the_lines(tmp_path):
    (tmp_path / "llt.asc").write_text(
        "10000001$Fine$10000100$$$$$$$Y$$\n1234$Short code$10000100$\nno dollars here\n"
        "10000004$Bad PT$12$\n10000001$Twice$10000100$\n", encoding="utf-8")
    with pytest.raises(CommandError) as error:
        call_command("import_meddra", "--version", "27.1", str(tmp_path))
    message = str(error.value)
    assert "nothing was loaded" in message
    assert "line 2: the LLT code '1234' is not 8 digits" in message
    assert "line 3: expected llt_code$llt_name$pt_code" in message
    assert "line 4: the PT code '12' of LLT 10000004 is not 8 digits" in message
    assert "line 5: LLT 10000001 appears twice" in message
    assert not MeddraTerm.objects.exists()


@pytest.mark.parametrize(("version", "make_dir", "message"), [
    ("27", True, "The MedDRA version '27' is not of the form 27.1."),
    ("27.1", False, "is not a directory holding the MedDRA ASCII files"),
    ("27.1", True, "No llt.asc in"),
])
def test_it_refuses_a_bad_version_or_folder(tmp_path, version, make_dir, message):
    folder = tmp_path / "ascii" if make_dir else tmp_path / "missing"
    if make_dir:
        folder.mkdir()
    with pytest.raises(CommandError, match=message.replace(".", r"\.").replace("(", r"\(")):
        call_command("import_meddra", "--version", version, str(folder))


def test_an_empty_file_loads_nothing(tmp_path):
    (tmp_path / "llt.asc").write_text("\n", encoding="utf-8")
    with pytest.raises(CommandError, match="holds no terms"):
        call_command("import_meddra", "--version", "27.1", str(tmp_path))


@pytest.mark.parametrize(("code", "version", "problem"), [
    ("", "27.1", "The MedDRA LLT code is missing."),
    ("1234567", "27.1", "The MedDRA LLT code '1234567' is not 8 digits."),
    ("10000001", "", "The MedDRA version of code 10000001 is missing."),
    ("10000001", "v27", "The MedDRA version 'v27' is not of the form 27.1."),
    ("10000001", "26.0", None),  # no dictionary of that version: only the form is checked
    ("10000001", "27.1", None),
    ("10000002", "27.1", "The MedDRA LLT code 10000002 is non-current in MedDRA 27.1; choose a current term."),
    ("10000009", "27.1", "The MedDRA LLT code 10000009 is not in MedDRA 27.1."),
])
def test_meddra_code_problem_checks_form_and_the_loaded_dictionary(ascii_dir, code, version, problem):
    call_command("import_meddra", "--version", "27.1", str(ascii_dir))
    assert meddra_code_problem(code, version) == problem


def test_meddra_code_problem_is_cheap_enough_to_call_per_row(ascii_dir, django_assert_max_num_queries):
    call_command("import_meddra", "--version", "27.1", str(ascii_dir))
    with django_assert_max_num_queries(2):
        assert meddra_code_problem("10000009", "27.1")
    with django_assert_max_num_queries(1):
        assert meddra_code_problem("10000001", "27.1") is None


def test_without_a_dictionary_any_well_formed_code_passes():
    assert meddra_code_problem("10022086", "27.1") is None


def test_an_isr_term_is_checked_against_a_loaded_dictionary(ascii_dir):
    IsrTerm(llt_code="10099999", llt_name="Entered before any dictionary", meddra_version="27.1").full_clean()
    call_command("import_meddra", "--version", "27.1", str(ascii_dir))
    with pytest.raises(ValidationError) as error:
        IsrTerm(llt_code="10099999", llt_name="Typo", meddra_version="27.1").full_clean()
    assert error.value.message_dict["llt_code"] == ["The MedDRA LLT code 10099999 is not in MedDRA 27.1."]
    IsrTerm(llt_code="10000001", llt_name="Test term one", meddra_version="27.1").full_clean()
