"""The printable CIOMS-I-style case form, as HTML and as PDF (xhtml2pdf, pure Python)."""
from io import BytesIO

from django.template.loader import render_to_string
from django.utils import timezone

from .meddra import meddra_term_name
from .models import SenderOrganisation
from .narrative import approximate_age, case_narrative, format_dose
from .selectors import case_exports, exported_exposures


class PdfRenderError(Exception):
    pass


def case_form_context(reaction):
    exposures = exported_exposures(reaction)
    sender = SenderOrganisation.current()
    exports = list(case_exports(reaction)[:20])
    last = exports[0] if exports else None
    seriousness = set(reaction.seriousness or [])
    return {
        "reaction": reaction,
        "patient": reaction.patient,
        "age": approximate_age(reaction.patient, reaction.onset_date),
        "exposures": [{"period": p, "dose": format_dose(p.dose_mg_per_day)} for p in exposures],
        "onset_interval_days": (reaction.onset_date - exposures[0].start_date).days if exposures else None,
        "sender": sender,
        "case_id": last.case_id if last else (sender.case_id_for(reaction.reaction_ref) if sender else ""),
        "last_export": last,
        "exports": exports,
        "seriousness": {code: code in seriousness for code in (
            "death", "life_threatening", "hospitalisation", "disability", "congenital_anomaly",
            "other_medically_important")},
        "meddra_name": meddra_term_name(reaction.meddra_llt_code, reaction.meddra_version)
        if reaction.meddra_llt_code else "",
        "narrative": case_narrative(reaction, exposures),
        "printed_at": timezone.now(),
    }


def case_form_html(reaction, *, for_pdf=False) -> str:
    return render_to_string("e2b/case_form.html", {**case_form_context(reaction), "for_pdf": for_pdf})


def case_form_pdf(reaction) -> bytes:
    output = BytesIO()
    from xhtml2pdf import pisa  # ~1 s of imports (reportlab): paid by the first PDF, not by every process

    status = pisa.CreatePDF(case_form_html(reaction, for_pdf=True), dest=output, encoding="utf-8")
    if status.err:
        raise PdfRenderError(f"The PDF of case {reaction.reaction_ref} could not be rendered.")
    return output.getvalue()
