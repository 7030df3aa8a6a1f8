"""H.1 case narrative, generated from the record so that it never contradicts the coded fields."""
from apps.reactions.choices import CtcaeGrade


def approximate_age(patient, onset_date):
    """Age in whole years at onset from the birth year alone (may be one year high)."""
    if patient.birth_year is None or onset_date is None:
        return None
    return max(onset_date.year - patient.birth_year, 0)


def format_dose(value):
    return format(value.normalize(), "f") if value is not None else ""


def dosage_sentence(exposures):
    parts = []
    for period in exposures:
        end = period.end_date.isoformat() if period.end_date else "ongoing"
        lot = f", lot {period.lot_number}" if period.lot_number else ""
        parts.append(f"{format_dose(period.dose_mg_per_day)} mg/day {period.get_route_display().lower()} "
                     f"from {period.start_date.isoformat()} to {end}{lot}")
    return "; ".join(parts)


def case_narrative(reaction, exposures) -> str:
    patient = reaction.patient
    age = approximate_age(patient, reaction.onset_date)
    who = "A patient"
    if age is not None:
        who = f"A patient aged about {age} years"
    sex = patient.get_sex_display().lower()
    if sex in ("female", "male"):
        who += f" ({sex})"
    sentences = [f"{who} treated with {reaction.product.name} ({dosage_sentence(exposures) or 'dosage not recorded'}) "
                 f"developed an injection-site reaction with onset on {reaction.onset_date.isoformat()}."]
    details = [f"Symptoms: {reaction.get_symptoms_display() or 'not recorded'}"]
    if reaction.injection_site:
        details.append(f"injection site: {reaction.get_injection_site_display().lower()}")
    if reaction.diameter_mm is not None:
        details.append(f"largest diameter {reaction.diameter_mm} mm")
    severity = f"severity {reaction.get_severity_display().lower()}"
    if reaction.ctcae_grade:
        severity += f" ({CtcaeGrade(reaction.ctcae_grade).label})"
    details.append(severity)
    sentences.append("; ".join(details) + ".")
    sentences.append(f"Seriousness: {reaction.get_seriousness_display()}.")
    sentences.append(f"Action taken with the product: {reaction.get_action_taken_display().lower()}.")
    outcome = f"Outcome: {reaction.get_outcome_display().lower()}"
    if reaction.resolution_date:
        outcome += f", resolved on {reaction.resolution_date.isoformat()} (duration {reaction.duration_days} days)"
    else:
        outcome += ", reaction ongoing at last observation"
    sentences.append(outcome + ".")
    if reaction.causality:
        sentences.append(f"Causality (WHO-UMC, assessed by the sender's reviewer): "
                         f"{reaction.get_causality_display().lower()}.")
    if reaction.narrative.strip():
        sentences.append(f"Reporter's description: {reaction.narrative.strip()}")
    return " ".join(sentences)
