"""CDISC SDTM AE, EX and SUPPAE datasets of a set of reactions (SDTMIG 3.3 names, labels, CT terms).

Each dataset is a list of variables (name, label, type) and rows; `xpt.py` writes them as SAS
transport version 5. Dates are ISO 8601 (--DTC); codes are CDISC controlled terminology.
"""
from dataclasses import dataclass

from apps.e2b.models import SenderOrganisation
from apps.exposures.models import ExposurePeriod
from apps.reactions.body_sites import BODY_SITES
from apps.reactions.choices import ActionTaken, Outcome, Seriousness, Severity

DEFAULT_STUDY_ID = "PVTRACKER"
CHAR, NUM = "char", "num"

AESEV = {Severity.MILD: "MILD", Severity.MODERATE: "MODERATE", Severity.SEVERE: "SEVERE"}
AEOUT = {Outcome.RECOVERED: "RECOVERED/RESOLVED", Outcome.RECOVERING: "RECOVERING/RESOLVING",
         Outcome.NOT_RECOVERED: "NOT RECOVERED/NOT RESOLVED",
         Outcome.RECOVERED_WITH_SEQUELAE: "RECOVERED/RESOLVED WITH SEQUELAE", Outcome.FATAL: "FATAL",
         Outcome.UNKNOWN: "UNKNOWN"}
AEACN = {ActionTaken.WITHDRAWN: "DRUG WITHDRAWN", ActionTaken.DOSE_REDUCED: "DOSE REDUCED",
         ActionTaken.DOSE_INCREASED: "DOSE INCREASED", ActionTaken.UNCHANGED: "DOSE NOT CHANGED",
         ActionTaken.UNKNOWN: "UNKNOWN", ActionTaken.NOT_APPLICABLE: "NOT APPLICABLE"}
# The AES* flags of the ICH E2A criteria.
SERIOUSNESS_FLAGS = (("AESCONG", "Congenital Anomaly or Birth Defect", Seriousness.CONGENITAL_ANOMALY),
                     ("AESDISAB", "Persist or Signif Disability/Incapacity", Seriousness.DISABILITY),
                     ("AESDTH", "Results in Death", Seriousness.DEATH),
                     ("AESHOSP", "Requires or Prolongs Hospitalization", Seriousness.HOSPITALISATION),
                     ("AESLIFE", "Is Life Threatening", Seriousness.LIFE_THREATENING),
                     ("AESMIE", "Other Medically Important Serious Event", Seriousness.OTHER_MEDICALLY_IMPORTANT))
ROUTES = {"subcutaneous": "SUBCUTANEOUS", "intravenous": "INTRAVENOUS", "intramuscular": "INTRAMUSCULAR",
          "intradermal": "INTRADERMAL", "other": "OTHER"}


@dataclass
class Dataset:
    name: str
    label: str
    variables: list  # (name, label, type)
    rows: list  # dicts keyed by variable name

    @property
    def names(self):
        return [name for name, _label, _type in self.variables]


def study_id():
    sender = SenderOrganisation.current()
    return (sender.sponsor_study_number if sender and sender.sponsor_study_number else DEFAULT_STUDY_ID)


def usubjid(study, patient):
    return f"{study}-{patient.site.code}-{patient.patient_ref}"


def yn(flag):
    return "Y" if flag else "N"


def iso(value):
    return value.isoformat() if value else ""


AE_VARIABLES = [
    ("STUDYID", "Study Identifier", CHAR), ("DOMAIN", "Domain Abbreviation", CHAR),
    ("USUBJID", "Unique Subject Identifier", CHAR), ("AESEQ", "Sequence Number", NUM),
    ("AESPID", "Sponsor-Defined Identifier", CHAR), ("AETERM", "Reported Term for the Adverse Event", CHAR),
    ("AELLT", "Lowest Level Term", CHAR), ("AELLTCD", "Lowest Level Term Code", NUM),
    ("AEDECOD", "Dictionary-Derived Term", CHAR), ("AEPTCD", "Preferred Term Code", NUM),
    ("AELOC", "Location of Event", CHAR), ("AELAT", "Laterality", CHAR),
    ("AESEV", "Severity/Intensity", CHAR), ("AESER", "Serious Event", CHAR),
    ("AEACN", "Action Taken with Study Treatment", CHAR), ("AEREL", "Causality", CHAR),
    ("AEOUT", "Outcome of Adverse Event", CHAR),
    *[(name, label, CHAR) for name, label, _criterion in SERIOUSNESS_FLAGS],
    ("AETOXGR", "Standard Toxicity Grade", CHAR),
    ("AESTDTC", "Start Date/Time of Adverse Event", CHAR), ("AEENDTC", "End Date/Time of Adverse Event", CHAR),
]
EX_VARIABLES = [
    ("STUDYID", "Study Identifier", CHAR), ("DOMAIN", "Domain Abbreviation", CHAR),
    ("USUBJID", "Unique Subject Identifier", CHAR), ("EXSEQ", "Sequence Number", NUM),
    ("EXTRT", "Name of Treatment", CHAR), ("EXDOSE", "Dose", NUM), ("EXDOSU", "Dose Units", CHAR),
    ("EXDOSFRQ", "Dosing Frequency per Interval", CHAR), ("EXROUTE", "Route of Administration", CHAR),
    ("EXLOT", "Lot Number", CHAR), ("EXSTDTC", "Start Date/Time of Treatment", CHAR),
    ("EXENDTC", "End Date/Time of Treatment", CHAR),
]
SUPP_VARIABLES = [
    ("STUDYID", "Study Identifier", CHAR), ("RDOMAIN", "Related Domain Abbreviation", CHAR),
    ("USUBJID", "Unique Subject Identifier", CHAR), ("IDVAR", "Identifying Variable", CHAR),
    ("IDVARVAL", "Identifying Variable Value", CHAR), ("QNAM", "Qualifier Variable Name", CHAR),
    ("QLABEL", "Qualifier Variable Label", CHAR), ("QVAL", "Data Value", CHAR), ("QORIG", "Origin", CHAR),
    ("QEVAL", "Evaluator", CHAR),
]


def ae_row(study, reaction, seq, terms):
    site = BODY_SITES.get(reaction.injection_site)
    seriousness = set(reaction.seriousness or [])
    llt_name, pt_code, pt_name = terms.get((reaction.meddra_version, reaction.meddra_llt_code), ("", "", ""))
    term = "Injection site reaction"
    if reaction.symptoms:
        term += f": {reaction.get_symptoms_display().lower()}"
    return {
        "STUDYID": study, "DOMAIN": "AE", "USUBJID": usubjid(study, reaction.patient), "AESEQ": seq,
        "AESPID": reaction.reaction_ref, "AETERM": term[:200], "AELLT": llt_name,
        "AELLTCD": int(reaction.meddra_llt_code) if reaction.meddra_llt_code else None,
        "AEDECOD": pt_name, "AEPTCD": int(pt_code) if pt_code else None,
        "AELOC": site.cdisc_location if site else "", "AELAT": site.cdisc_laterality if site else "",
        "AESEV": AESEV[reaction.severity], "AESER": yn(reaction.is_serious),
        "AEACN": AEACN.get(reaction.action_taken, ""),
        "AEREL": reaction.get_causality_display().upper() if reaction.causality else "",
        "AEOUT": AEOUT[reaction.outcome],
        **{name: yn(criterion in seriousness) for name, _label, criterion in SERIOUSNESS_FLAGS},
        "AETOXGR": str(reaction.ctcae_grade or ""),
        "AESTDTC": iso(reaction.onset_date), "AEENDTC": iso(reaction.resolution_date),
    }


def _meddra_terms(reactions):
    """(version, LLT) -> (LLT name, PT code, PT name): the loaded dictionary, else the ISR term list (no PT)."""
    from apps.e2b.models import IsrTerm, MeddraTerm

    codes = {r.meddra_llt_code for r in reactions if r.meddra_llt_code}
    if not codes:
        return {}
    terms = {(t.meddra_version, t.llt_code): (t.llt_name, "", "") for t in IsrTerm.objects.filter(llt_code__in=codes)}
    terms.update({(t.version, t.llt_code): (t.llt_name, t.pt_code, t.pt_name)
                  for t in MeddraTerm.objects.filter(llt_code__in=codes)})
    return terms


def sdtm_datasets(reactions) -> list[Dataset]:
    """AE (one row per reaction), EX (the exposure periods of their patients and products), SUPPAE (diameter)."""
    reactions = list(reactions.select_related("patient__site", "product").order_by(
        "patient__site__code", "patient__patient_ref", "onset_date", "pk"))
    study = study_id()
    terms = _meddra_terms(reactions)
    ae_rows, supp_rows, seq_by_subject = [], [], {}
    for reaction in reactions:
        subject = usubjid(study, reaction.patient)
        seq_by_subject[subject] = seq = seq_by_subject.get(subject, 0) + 1
        ae_rows.append(ae_row(study, reaction, seq, terms))
        if reaction.diameter_mm is not None:
            supp_rows.append({"STUDYID": study, "RDOMAIN": "AE", "USUBJID": subject, "IDVAR": "AESEQ",
                              "IDVARVAL": str(seq), "QNAM": "AEDIAM", "QLABEL": "Largest Diameter (mm)",
                              "QVAL": str(reaction.diameter_mm), "QORIG": "CRF", "QEVAL": ""})
    pairs = {(r.patient_id, r.product_id) for r in reactions}
    periods = (ExposurePeriod.objects.filter(voided_at__isnull=True, patient_id__in={p for p, _ in pairs})
               .select_related("patient__site", "product").order_by("patient__site__code", "patient__patient_ref",
                                                                    "start_date", "pk"))
    ex_rows, ex_seq = [], {}
    for period in periods:
        if (period.patient_id, period.product_id) not in pairs:
            continue
        subject = usubjid(study, period.patient)
        ex_seq[subject] = seq = ex_seq.get(subject, 0) + 1
        ex_rows.append({"STUDYID": study, "DOMAIN": "EX", "USUBJID": subject, "EXSEQ": seq,
                        "EXTRT": period.product.name.upper(), "EXDOSE": float(period.dose_mg_per_day),
                        "EXDOSU": "mg", "EXDOSFRQ": "QD", "EXROUTE": ROUTES[period.route],
                        "EXLOT": period.lot_number, "EXSTDTC": iso(period.start_date),
                        "EXENDTC": iso(period.end_date)})
    return [Dataset("AE", "Adverse Events", AE_VARIABLES, ae_rows),
            Dataset("EX", "Exposure", EX_VARIABLES, ex_rows),
            Dataset("SUPPAE", "Supplemental Qualifiers for AE", SUPP_VARIABLES, supp_rows)]
