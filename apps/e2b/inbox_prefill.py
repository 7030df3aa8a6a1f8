"""What a received ICSR pre-fills in the reaction form: the values the tracker can code, nothing guessed."""
from datetime import datetime

from apps.patients.models import Patient
from apps.products.models import Product
from apps.reactions.choices import Seriousness

from .codes import OUTCOME_CODES, QUALIFICATION_CODES

OUTCOME_BY_CODE = {code: outcome for outcome, code in OUTCOME_CODES.items()}
QUALIFICATION_BY_CODE = {code: qualification for qualification, code in QUALIFICATION_CODES.items()}
SUSPECT_ROLES = ("suspect", "interacting")


def hl7_date(value):
    """The date part of an HL7 TS (YYYYMMDD[...]); None when absent or partial."""
    try:
        return datetime.strptime((value or "")[:8], "%Y%m%d").date()
    except ValueError:
        return None


def matching_product(parsed):
    """The tracked product a suspect drug names (by product name or code, case-insensitively)."""
    names = [drug["name"].strip().lower() for drug in parsed.get("drugs", []) if drug.get("role") in SUSPECT_ROLES]
    for product in Product.objects.all():
        if any(product.code.lower() in name or product.name.lower() in name or name in product.name.lower()
               for name in names if name):
            return product
    return None


def matching_patients(parsed, queryset=None):
    """Patients whose reference is the ICSR's patient name or initials (D.1), the only patient key it carries."""
    name = (parsed.get("patient_name") or "").strip()
    if not name:
        return Patient.objects.none()
    queryset = queryset if queryset is not None else Patient.objects.all()
    return queryset.filter(patient_ref__iexact=name, voided_at__isnull=True)


def reaction_initial(parsed):
    """Initial values of the reaction form from the first reaction of the ICSR."""
    reactions = parsed.get("reactions") or [{}]
    first = reactions[0]
    known_seriousness = {choice.value for choice in Seriousness}
    initial = {
        "onset_date": hl7_date(first.get("onset")),
        "resolution_date": hl7_date(first.get("end")),
        "outcome": OUTCOME_BY_CODE.get(first.get("outcome", "")),
        "seriousness": [s for s in first.get("seriousness", []) if s in known_seriousness],
        "meddra_llt_code": first.get("meddra_code", ""),
        "meddra_version": first.get("meddra_version", ""),
        "reporter_qualification": QUALIFICATION_BY_CODE.get(parsed.get("primary_source_qualification", "")),
        "narrative": parsed.get("narrative", ""),
    }
    product = matching_product(parsed)
    if product is not None:
        initial["product"] = product.pk
    return {key: value for key, value in initial.items() if value not in (None, "", [])}
