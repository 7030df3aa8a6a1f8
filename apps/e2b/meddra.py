"""MedDRA coding support: checking a code, loading a licensed user's ASCII files.

The tracker ships no MedDRA dictionary (it is licensed); a licensed user loads theirs with
`manage.py import_meddra --version 27.1 DIR`. Without one, codes are only checked for form.
"""
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction

from .models import LLT_CODE_RE, VERSION_RE, IsrTerm, MeddraTerm

LLT_FILE = "llt.asc"
PT_FILE = "pt.asc"
# llt.asc: llt_code$llt_name$pt_code$whoart$harts$costart$icd9$icd9cm$icd10$llt_currency$jart$
LLT_CURRENCY_FIELD = 9
BATCH_SIZE = 2000
MAX_REPORTED_ERRORS = 20


def meddra_term_name(code, version) -> str:
    """The LLT name when the dictionary of that version (or the ISR term list) knows the code."""
    name = MeddraTerm.objects.filter(version=version, llt_code=code).values_list("llt_name", flat=True).first()
    if name is None:
        name = IsrTerm.objects.filter(meddra_version=version, llt_code=code).values_list("llt_name", flat=True).first()
    return name or ""


def _find_file(directory: Path, name: str):
    for candidate in directory.iterdir():
        if candidate.is_file() and candidate.name.lower() == name:
            return candidate
    return None


def _read_lines(path: Path):
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    return text.splitlines()


def _read_pt_names(directory: Path):
    path = _find_file(directory, PT_FILE)
    if path is None:
        return {}
    names = {}
    for line in _read_lines(path):
        fields = line.split("$")
        if len(fields) >= 2 and LLT_CODE_RE.match(fields[0].strip()):
            names[fields[0].strip()] = fields[1].strip()[:100]
    return names


def _parse_llt_lines(lines, version, pt_names):
    terms, errors, seen = [], [], set()
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        fields = line.split("$")
        if len(fields) < 3:
            errors.append(f"line {number}: expected llt_code$llt_name$pt_code$…, got {line[:60]!r}")
            continue
        llt_code, llt_name, pt_code = (field.strip() for field in fields[:3])
        if not LLT_CODE_RE.match(llt_code):
            errors.append(f"line {number}: the LLT code {llt_code!r} is not 8 digits")
            continue
        if not LLT_CODE_RE.match(pt_code):
            errors.append(f"line {number}: the PT code {pt_code!r} of LLT {llt_code} is not 8 digits")
            continue
        if not llt_name:
            errors.append(f"line {number}: LLT {llt_code} has no name")
            continue
        if llt_code in seen:
            errors.append(f"line {number}: LLT {llt_code} appears twice")
            continue
        seen.add(llt_code)
        currency = fields[LLT_CURRENCY_FIELD].strip().upper() if len(fields) > LLT_CURRENCY_FIELD else "Y"
        terms.append(MeddraTerm(version=version, llt_code=llt_code, llt_name=llt_name[:100], pt_code=pt_code,
                                pt_name=pt_names.get(pt_code, ""), current=currency != "N"))
    return terms, errors


def meddra_import(*, version: str, directory) -> int:
    """Load (or reload) one MedDRA version from its ASCII files; all or nothing.

    Returns the number of LLTs loaded. A malformed file loads nothing and names the lines.
    """
    version = (version or "").strip()
    if not VERSION_RE.match(version):
        raise ValidationError(f"The MedDRA version {version!r} is not of the form 27.1.")
    directory = Path(directory)
    if not directory.is_dir():
        raise ValidationError(f"{directory} is not a directory holding the MedDRA ASCII files.")
    llt_path = _find_file(directory, LLT_FILE)
    if llt_path is None:
        raise ValidationError(f"No {LLT_FILE} in {directory}: point at the MedDRA 'ascii' folder.")
    terms, errors = _parse_llt_lines(_read_lines(llt_path), version, _read_pt_names(directory))
    if errors:
        shown = errors[:MAX_REPORTED_ERRORS]
        more = f" (and {len(errors) - len(shown)} more)" if len(errors) > len(shown) else ""
        raise ValidationError(f"{llt_path.name} is not a MedDRA LLT file; nothing was loaded: "
                              + "; ".join(shown) + more)
    if not terms:
        raise ValidationError(f"{llt_path.name} holds no terms; nothing was loaded.")
    with transaction.atomic():
        MeddraTerm.objects.filter(version=version).delete()  # reference data, not a clinical record
        MeddraTerm.objects.bulk_create(terms, batch_size=BATCH_SIZE)
    return len(terms)
