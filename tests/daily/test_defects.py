"""The defects issue 12 found on a fresh install, each pinned by a test that failed before its fix."""
import re
from datetime import date
from io import BytesIO, StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation
from pypdf import PdfReader
from reportlab.pdfbase.pdfmetrics import stringWidth

from apps.dashboard.charts import monthly_bars
from apps.e2b.models import SenderOrganisation
from apps.reports.forms import RunReportForm
from apps.summaries.proportions import Proportion
from apps.summaries.tables import ProportionColumn
from tests.factories import ReactionFactory

pytestmark = pytest.mark.django_db


def test_case_form_html_and_pdf_work_without_a_sender_organisation(client, reviewer, exposure):
    assert SenderOrganisation.current() is None
    reaction = ReactionFactory(patient=exposure.patient, product=exposure.product)
    client.force_login(reviewer)
    html = client.get(reverse("e2b:case_form", args=[reaction.pk]))
    assert html.status_code == 200
    assert "Sender organisation not configured" in html.content.decode()
    pdf = client.get(reverse("e2b:case_form_pdf", args=[reaction.pk]))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


def test_setup_demo_seeds_a_sender_organisation_so_export_works_out_of_the_box(db):
    call_command("setup_demo", stdout=StringIO())
    sender = SenderOrganisation.current()
    assert sender is not None
    sender.full_clean()
    # Idempotent, and an administrator's own settings are kept.
    sender.organisation_name = "Real sponsor"
    sender.save()
    call_command("setup_demo", stdout=StringIO())
    assert SenderOrganisation.current().organisation_name == "Real sponsor"


@pytest.mark.parametrize("language", ["en-gb", "it"])
def test_run_now_date_renders_iso_for_the_browser_date_input(analyst, language):
    with translation.override(language):
        html = str(RunReportForm(user=analyst)["as_of"])
    assert 'type="date"' in html
    value = re.search(r'value="([^"]+)"', html).group(1)
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", value), value
    for name in ("exposure_start_from", "exposure_start_to"):
        bound = RunReportForm({"exposure_start_from": "2026-01-05"}, user=analyst)
        assert 'type="date"' in str(bound[name])


def test_the_readme_e2b_link_is_a_page(client, reviewer):
    client.force_login(reviewer)
    assert client.get("/e2b/").status_code == 200


@pytest.mark.parametrize("severity,grade,ok", [
    ("mild", 1, True), ("moderate", 2, True), ("severe", 3, True), ("severe", 4, True),
    ("mild", 3, False), ("mild", 2, False), ("moderate", 1, False), ("moderate", 3, False),
    ("severe", 1, False), ("severe", 2, False), ("mild", None, True),
])
def test_severity_and_ctcae_grade_must_agree(exposure, severity, grade, ok):
    reaction = ReactionFactory.build(patient=exposure.patient, product=exposure.product, severity=severity,
                                     ctcae_grade=grade, reaction_ref="R-X")
    if ok:
        reaction.full_clean()
        return
    with pytest.raises(ValidationError) as raised:
        reaction.full_clean()
    message = " ".join(raised.value.message_dict["ctcae_grade"])
    assert "severity" in message.lower() and "change" in message.lower(), message


def test_chart_month_labels_name_the_year_in_full():
    bars = monthly_bars([(date(2026, 1, 1), 3, 2), (date(2025, 12, 1), 1, 1)])["bars"]
    assert [bar.label for bar in bars] == ["Jan 2026", "Dec 2025"]


def test_no_confidence_interval_on_a_share_that_is_100_percent_by_construction():
    whole = Proportion(40, 40, by_construction=True)
    assert whole.ci is None
    cell = ProportionColumn().render(whole)
    assert "40 / 40" in cell and "–" not in cell
    assert "(" in ProportionColumn().render(Proportion(39, 40))  # an observed share keeps its interval


def test_summary_exposed_patients_row_has_no_interval(client, analyst, exposure):
    client.force_login(analyst)
    body = client.get(reverse("summaries:detail", args=["exposure"])).content.decode()
    row = body.split("Patients exposed", 1)[1].split("</tr>", 1)[0]
    assert "100.0%" in row and "–" not in row


def _text_boxes(pdf_bytes):
    """(x, y, text) of every text run on the PDF's first page."""
    boxes = []

    def visit(text, cm, tm, font, size):
        if text.strip():
            boxes.append((round(tm[4] + cm[4]), round(tm[5] + cm[5]), text.strip()))

    PdfReader(BytesIO(pdf_bytes)).pages[0].extract_text(visitor_text=visit)
    return boxes


def test_pdf_case_form_case_id_does_not_run_over_date_received(client, reviewer, sender, exposure):
    reaction = ReactionFactory(patient=exposure.patient, product=exposure.product,
                               reaction_ref="site-01-P-001-R1-LONG-REFERENCE-2026")
    client.force_login(reviewer)
    boxes = _text_boxes(client.get(reverse("e2b:case_form_pdf", args=[reaction.pk])).content)
    case_id = sender.case_id_for(reaction.reaction_ref)
    # Every run of the case id ends left of the "date received" label on the same line band.
    label = next((x, y) for x, y, text in boxes if text.upper().startswith("24C"))
    id_runs = [(x, y, text) for x, y, text in boxes if text and text in case_id and len(text) > 3]
    assert id_runs, boxes
    for x, y, text in id_runs:
        if abs(y - label[1]) < 40:
            assert x + stringWidth(text, "Helvetica", 9) <= label[0] + 1, (text, x, label)
