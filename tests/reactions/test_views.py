import csv
import io
from datetime import date

import openpyxl
import pytest
from django.urls import reverse

from apps.reactions.models import InjectionSiteReaction
from apps.reactions.services import reaction_review, reaction_submit, reaction_update
from tests.factories import ExposurePeriodFactory, PatientFactory, ReactionFactory

pytestmark = pytest.mark.django_db

DETAIL_URLS = ("detail", "update", "review", "void", "history")


@pytest.fixture
def draft(exposure, product, reporter):
    return ReactionFactory(patient=exposure.patient, product=product, reaction_ref="R-DRAFT", status="draft",
                           reporter=reporter, narrative="first words")


@pytest.fixture
def other_reaction(other_site, product):
    patient = PatientFactory(site=other_site, patient_ref="OTHER-1")
    ExposurePeriodFactory(patient=patient, product=product)
    return ReactionFactory(patient=patient, product=product, reaction_ref="R-OTHER")


def edit_data(reaction, **overrides):
    data = {"version": reaction.version, "onset_date": reaction.onset_date.isoformat(),
            "resolution_date": reaction.resolution_date.isoformat() if reaction.resolution_date else "",
            "severity": reaction.severity, "ctcae_grade": reaction.ctcae_grade or "", "symptoms": reaction.symptoms,
            "seriousness": reaction.seriousness, "outcome": reaction.outcome, "action_taken": reaction.action_taken,
            "injection_site": reaction.injection_site, "diameter_mm": reaction.diameter_mm or "",
            "reporter_qualification": reaction.reporter_qualification, "narrative": reaction.narrative,
            "meddra_llt_code": reaction.meddra_llt_code, "meddra_version": reaction.meddra_version}
    data.update(overrides)
    return data


def test_anonymous_users_are_sent_to_the_login_page(client, draft):
    urls = [reverse("reactions:list"), reverse("reactions:create", args=[draft.patient_id])]
    urls += [reverse(f"reactions:{name}", args=[draft.pk]) for name in DETAIL_URLS]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith(reverse("login")), url
    assert client.post(reverse("reactions:submit", args=[draft.pk])).status_code == 302
    assert InjectionSiteReaction.objects.get(pk=draft.pk).status == "draft"


def test_another_sites_reporter_gets_404_on_every_reaction_page(client, other_reporter, draft):
    client.force_login(other_reporter)
    for name in DETAIL_URLS:
        assert client.get(reverse(f"reactions:{name}", args=[draft.pk])).status_code == 404, name
    assert client.post(reverse("reactions:submit", args=[draft.pk])).status_code == 404
    assert client.post(reverse("reactions:void", args=[draft.pk]), {"reason": "x"}).status_code == 404
    assert client.post(reverse("reactions:update", args=[draft.pk]), edit_data(draft, severity="severe")).status_code == 404
    assert client.get(reverse("reactions:create", args=[draft.patient_id])).status_code == 404
    draft.refresh_from_db()
    assert draft.status == "draft" and draft.severity == "mild" and not draft.is_voided


def test_lists_and_exports_never_show_another_sites_rows(client, reporter, draft, other_reaction):
    client.force_login(reporter)
    content = client.get(reverse("reactions:list")).content.decode()
    assert "R-DRAFT" in content and "R-OTHER" not in content
    rows = list(csv.reader(io.StringIO(client.get(reverse("reactions:list"), {"_export": "csv"}).getvalue().decode())))
    assert [row[0] for row in rows[1:]] == ["R-DRAFT"]
    response = client.get(reverse("reactions:list"), {"_export": "xlsx"})
    sheet = openpyxl.load_workbook(io.BytesIO(response.getvalue())).active
    assert [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)] == ["R-DRAFT"]


def test_exports_hold_all_filtered_rows_with_formulas_neutralised(client, reviewer, exposure, product):
    for n in range(30):
        ReactionFactory(patient=exposure.patient, product=product, reaction_ref=f"R-{n:03d}", severity="moderate",
                        onset_date=date(2025, 2, 1 + n % 28))
    ReactionFactory(patient=exposure.patient, product=product, reaction_ref="=1+2", severity="mild")
    ReactionFactory(patient=exposure.patient, product=product, reaction_ref="@SUM(A1)", severity="mild")
    client.force_login(reviewer)
    rows = list(csv.reader(io.StringIO(
        client.get(reverse("reactions:list"), {"_export": "csv", "severity": "moderate"}).getvalue().decode())))
    assert len(rows) == 31 and rows[0][0] == "Reaction reference"
    assert {row[7] for row in rows[1:]} == {"Moderate"}
    response = client.get(reverse("reactions:list"), {"_export": "xlsx", "severity": "mild"})
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = openpyxl.load_workbook(io.BytesIO(response.getvalue())).active
    refs = sorted(row[0] for row in sheet.iter_rows(min_row=2, values_only=True))
    assert refs == ["'=1+2", "'@SUM(A1)"]


def test_an_export_over_the_row_limit_is_refused_with_a_message_and_the_filters_kept(
        client, reviewer, exposure, product, settings):
    settings.EXPORT_MAX_ROWS = 3
    for n in range(4):
        ReactionFactory(patient=exposure.patient, product=product, reaction_ref=f"R-{n}", severity="moderate",
                        onset_date=date(2025, 2, 1 + n))
    client.force_login(reviewer)
    response = client.get(reverse("reactions:list"), {"_export": "csv", "severity": "moderate"}, follow=True)
    assert response.redirect_chain[0][0] == reverse("reactions:list") + "?severity=moderate"
    assert "The export would hold 4 rows, more than the limit of 3" in response.content.decode()
    narrowed = client.get(reverse("reactions:list"), {"_export": "csv", "severity": "moderate",
                                                      "onset_date_after": "2025-02-02"})
    assert narrowed["Content-Type"].startswith("text/csv")


def test_other_export_formats_are_ignored(client, reviewer, draft):
    client.force_login(reviewer)
    response = client.get(reverse("reactions:list"), {"_export": "json"})
    assert response["Content-Type"].startswith("text/html")


def test_the_list_filters_by_every_criterion(client, reviewer, exposure, product):
    patient = exposure.patient
    ReactionFactory(patient=patient, product=product, reaction_ref="R-SERIOUS", severity="severe", ctcae_grade=3,
                    seriousness=["hospitalisation"], outcome="recovered", onset_date=date(2025, 3, 1),
                    resolution_date=date(2025, 3, 5))
    ReactionFactory(patient=patient, product=product, reaction_ref="R-ONGOING", severity="mild", ctcae_grade=1,
                    outcome="not_recovered", resolution_date=None, onset_date=date(2025, 5, 1), status="draft")
    client.force_login(reviewer)

    def refs(**params):
        content = client.get(reverse("reactions:list"), params).content.decode()
        return {ref for ref in ("R-SERIOUS", "R-ONGOING") if ref in content}

    assert refs() == {"R-SERIOUS", "R-ONGOING"}
    assert refs(serious="yes") == {"R-SERIOUS"}
    assert refs(serious="no") == {"R-ONGOING"}
    assert refs(severity="severe") == {"R-SERIOUS"}
    assert refs(ctcae_grade="1") == {"R-ONGOING"}
    assert refs(outcome="recovered") == {"R-SERIOUS"}
    assert refs(status="draft") == {"R-ONGOING"}
    assert refs(ongoing="true") == {"R-ONGOING"}
    assert refs(ongoing="false") == {"R-SERIOUS"}
    assert refs(onset_date_after="2025-04-01") == {"R-ONGOING"}
    assert refs(onset_date_before="2025-04-01") == {"R-SERIOUS"}
    assert refs(product=product.pk, site=patient.site_id) == {"R-SERIOUS", "R-ONGOING"}
    assert refs(search="ongoing") == {"R-ONGOING"}
    assert client.get(reverse("reactions:list"), {"sort": "-onset_date"}).status_code == 200


def test_an_analyst_reads_but_cannot_create_or_edit(client, analyst, draft, product):
    client.force_login(analyst)
    assert client.get(reverse("reactions:create", args=[draft.patient_id])).status_code == 403
    response = client.post(reverse("reactions:create", args=[draft.patient_id]),
                           {"reaction_ref": "R-AN", "product": product.pk, "onset_date": "2025-02-01",
                            "severity": "mild", "symptoms": ["pain"], "outcome": "unknown"})
    assert response.status_code == 403 and not InjectionSiteReaction.objects.filter(reaction_ref="R-AN").exists()
    detail = client.get(reverse("reactions:detail", args=[draft.pk]))
    assert detail.status_code == 200
    assert 'id="edit-button"' not in detail.content.decode() and "Submit for review" not in detail.content.decode()
    assert client.get(reverse("reactions:update", args=[draft.pk])).status_code == 403
    assert client.post(reverse("reactions:submit", args=[draft.pk])).status_code == 403


def test_the_detail_shows_derived_duration_and_badges(client, reporter, draft):
    client.force_login(reporter)
    content = client.get(reverse("reactions:detail", args=[draft.pk])).content.decode()
    assert "21 days" in content  # 10 to 30 January, both counted
    assert "badge text-bg-secondary" in content and "Draft" in content
    assert 'id="edit-button"' in content and "Submit for review" in content


def test_an_edit_is_saved_and_the_history_shows_who_changed_what(client, reporter, draft):
    client.force_login(reporter)
    response = client.post(reverse("reactions:update", args=[draft.pk]),
                           edit_data(draft, severity="moderate", symptoms=["erythema", "pain"]))
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.severity == "moderate" and draft.version == 2
    history = client.get(reverse("reactions:history", args=[draft.pk])).content.decode()
    assert "reporter-01" in history
    assert "Severity" in history and "Mild" in history and "Moderate" in history
    assert "Erythema, Pain" in history


def test_a_stale_version_gets_a_conflict_and_keeps_the_users_input(client, reporter, draft):
    client.force_login(reporter)
    stale = edit_data(draft, narrative="my careful narrative")
    reaction_update(reaction=draft, actor=reporter, expected_version=1, severity="severe")
    response = client.post(reverse("reactions:update", args=[draft.pk]), stale)
    assert response.status_code == 200
    content = response.content.decode()
    assert "Someone else saved this reaction after you opened it" in content
    assert "my careful narrative" in content
    draft.refresh_from_db()
    assert draft.severity == "severe" and draft.narrative == "first words"


def test_a_duplicate_on_edit_asks_for_confirmation(client, reporter, draft, product):
    ReactionFactory(patient=draft.patient, product=product, reaction_ref="R-SAME", onset_date=date(2025, 1, 12),
                    resolution_date=date(2025, 1, 20))
    client.force_login(reporter)
    response = client.post(reverse("reactions:update", args=[draft.pk]), edit_data(draft, onset_date="2025-01-12"))
    assert response.context["form"].has_error("onset_date", "probable_duplicate")
    response = client.post(reverse("reactions:update", args=[draft.pk]),
                           edit_data(draft, onset_date="2025-01-12", confirm_duplicate="on"))
    assert response.status_code == 302


def test_submit_then_the_reporter_can_no_longer_edit(client, reporter, draft):
    client.force_login(reporter)
    assert client.post(reverse("reactions:submit", args=[draft.pk])).status_code == 302
    draft.refresh_from_db()
    assert draft.status == "submitted"
    response = client.get(reverse("reactions:update", args=[draft.pk]))
    assert response.status_code == 403 and "ask a reviewer" in response.content.decode()
    assert 'id="edit-button"' not in client.get(reverse("reactions:detail", args=[draft.pk])).content.decode()


def test_a_reviewer_edits_a_submitted_reaction_and_assesses_causality(client, reviewer, reporter, draft):
    reaction_submit(reaction=draft, actor=reporter)
    draft.refresh_from_db()
    client.force_login(reviewer)
    response = client.post(reverse("reactions:update", args=[draft.pk]),
                           edit_data(draft, causality="possible", severity="moderate"))
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.causality == "possible" and draft.severity == "moderate"


def test_review_needs_causality_then_locks(client, reviewer, reporter, draft):
    reaction_submit(reaction=draft, actor=reporter)
    client.force_login(reviewer)
    response = client.post(reverse("reactions:review", args=[draft.pk]), {"causality": ""})
    assert response.context["form"].has_error("causality")
    response = client.post(reverse("reactions:review", args=[draft.pk]),
                           {"causality": "probable", "meddra_llt_code": "10022061", "meddra_version": "27.1"})
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.status == "reviewed" and draft.reviewed_by == reviewer and draft.meddra_llt_code == "10022061"
    history = client.get(reverse("reactions:history", args=[draft.pk])).content.decode()
    assert "Reviewed and locked" in history and "Submitted for review" in history


def test_a_reporter_cannot_review(client, reporter, draft):
    reaction_submit(reaction=draft, actor=reporter)
    client.force_login(reporter)
    assert client.get(reverse("reactions:review", args=[draft.pk])).status_code == 403
    assert client.post(reverse("reactions:review", args=[draft.pk]), {"causality": "certain"}).status_code == 403
    assert InjectionSiteReaction.objects.get(pk=draft.pk).status == "submitted"


def test_a_locked_reaction_cannot_be_edited(client, reviewer, reporter, draft):
    reaction_submit(reaction=draft, actor=reporter)
    reaction_review(reaction=draft, actor=reviewer, causality="possible")
    draft.refresh_from_db()
    for user in (reporter, reviewer):
        client.force_login(user)
        content = client.get(reverse("reactions:detail", args=[draft.pk])).content.decode()
        assert 'id="edit-button"' not in content and "Reviewed (locked)" in content
        response = client.get(reverse("reactions:update", args=[draft.pk]))
        assert response.status_code == 403 and "reviewed and locked" in response.content.decode()
        response = client.post(reverse("reactions:update", args=[draft.pk]), edit_data(draft, severity="severe"))
        assert response.status_code == 403
    assert InjectionSiteReaction.objects.get(pk=draft.pk).severity == "mild"


def test_void_needs_a_reason_and_hides_the_reaction_except_for_reviewers_asking(client, reporter, reviewer, draft):
    client.force_login(reporter)
    response = client.post(reverse("reactions:void", args=[draft.pk]), {"reason": ""})
    assert response.context["form"].has_error("reason")
    assert client.post(reverse("reactions:void", args=[draft.pk]), {"reason": "Entered twice"}).status_code == 302
    assert "R-DRAFT" not in client.get(reverse("reactions:list")).content.decode()
    assert "R-DRAFT" not in client.get(reverse("reactions:list"), {"include_voided": "on"}).content.decode()
    detail = client.get(reverse("reactions:detail", args=[draft.pk])).content.decode()
    assert "Entered twice" in detail and 'id="edit-button"' not in detail
    client.force_login(reviewer)
    assert "R-DRAFT" not in client.get(reverse("reactions:list")).content.decode()
    assert "R-DRAFT" in client.get(reverse("reactions:list"), {"include_voided": "on"}).content.decode()


def test_a_reporter_cannot_void_a_submitted_reaction(client, reporter, draft):
    reaction_submit(reaction=draft, actor=reporter)
    client.force_login(reporter)
    response = client.post(reverse("reactions:void", args=[draft.pk]), {"reason": "oops"})
    assert response.status_code == 403 and "Only reviewers can void" in response.content.decode()
    assert not InjectionSiteReaction.objects.get(pk=draft.pk).is_voided


def test_the_void_page_is_refused_up_front_to_those_who_may_not_void(client, reporter, analyst, draft):
    client.force_login(analyst)
    assert client.get(reverse("reactions:void", args=[draft.pk])).status_code == 403
    assert client.get(reverse("patients:void", args=[draft.patient_id])).status_code == 403
    reaction_submit(reaction=draft, actor=reporter)
    client.force_login(reporter)
    response = client.get(reverse("reactions:void", args=[draft.pk]))
    assert response.status_code == 403 and "Only reviewers can void" in response.content.decode()


def test_the_reaction_page_links_reviewers_to_the_e2b_export_and_everyone_to_the_case_form(
        client, exposure, product, reporter, reviewer):
    reaction = ReactionFactory(patient=exposure.patient, product=product, onset_date=exposure.start_date)
    url = reverse("reactions:detail", args=[reaction.pk])
    client.force_login(reporter)
    page = client.get(url).content.decode()
    assert reverse("e2b:case_form", args=[reaction.pk]) in page
    assert reverse("e2b:reaction_export", args=[reaction.pk]) not in page
    client.force_login(reviewer)
    page = client.get(url).content.decode()
    assert reverse("e2b:reaction_export", args=[reaction.pk]) in page
    assert reverse("e2b:batch_export") in client.get(reverse("reactions:list")).content.decode()


def test_the_csv_export_streams_every_row_in_the_listing_order_in_chunks(client, reviewer, exposure, product,
                                                                       monkeypatch):
    from apps.core import exports

    monkeypatch.setattr(exports, "CHUNK_ROWS", 2)
    for n in range(5):
        ReactionFactory(patient=exposure.patient, product=product, reaction_ref=f"R-S{n}", onset_date=date(2025, 2, 1 + n))
    client.force_login(reviewer)
    response = client.get(reverse("reactions:list"), {"_export": "csv"})
    assert response.streaming and response["Content-Disposition"].startswith('attachment; filename="reactions-')
    rows = list(csv.reader(io.StringIO(response.getvalue().decode())))
    assert [row[0] for row in rows[1:]] == [f"R-S{n}" for n in range(4, -1, -1)]  # newest onset first


def test_an_xlsx_export_beyond_one_worksheet_is_refused_with_a_message_and_the_csv_is_not(
        client, reviewer, exposure, product, monkeypatch):
    from apps.core import exports

    monkeypatch.setattr(exports, "XLSX_MAX_DATA_ROWS", 2)
    for n in range(3):
        ReactionFactory(patient=exposure.patient, product=product, reaction_ref=f"R-X{n}", onset_date=date(2025, 2, 1 + n))
    client.force_login(reviewer)
    response = client.get(reverse("reactions:list"), {"_export": "xlsx"}, follow=True)
    assert response.redirect_chain[0][0] == reverse("reactions:list") + "?"
    assert "more than the limit of 2 (the rows of one XLSX worksheet; the CSV export has no such limit)" in \
        response.content.decode()
    assert client.get(reverse("reactions:list"), {"_export": "csv"}).streaming
