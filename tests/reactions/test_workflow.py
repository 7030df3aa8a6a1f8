"""Queries back to the site, comments, notifications and follow-ups of locked cases."""
from datetime import date

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from hypothesis import HealthCheck, given, settings, strategies as st

from apps.e2b.services import e2b_export
from apps.reactions.models import InjectionSiteReaction, ReactionComment, ReactionFollowUp
from apps.reactions.services import (reaction_comment_add, reaction_followup_create, reaction_followup_lock,
                                     reaction_followup_return, reaction_followup_submit, reaction_followup_update,
                                     reaction_return, reaction_review, reaction_submit, reaction_update)
from tests.factories import SIGN_RETURN, ReactionFactory, UserFactory, signed

pytestmark = pytest.mark.django_db

CASE = dict(onset_date=date(2025, 1, 10), received_date=date(2025, 1, 12), resolution_date=date(2025, 1, 30), outcome="recovered", seriousness=[],
            meddra_llt_code="10022086", meddra_version="27.1", action_taken="unchanged",
            injection_site="abdomen_left", diameter_mm=35, symptoms=["erythema"], reporter_qualification="physician")


@pytest.fixture(autouse=True)
def emails(reporter, reviewer):
    reporter.email, reviewer.email = "nurse@site01.example", "reviewer@pv.example"
    reporter.save()
    reviewer.save()


@pytest.fixture
def draft(exposure, reporter):
    return ReactionFactory(patient=exposure.patient, product=exposure.product, status="draft", reporter=reporter,
                           reaction_ref="R-WF-1", **CASE)


def locked_case(draft, reporter, reviewer, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        reaction_submit(reaction=draft, actor=reporter)
        return reaction_review(reaction=draft, actor=reviewer, causality="probable", signature=signed(reviewer, "review"))


def test_a_returned_case_goes_back_to_the_site_which_answers_and_resubmits(
        draft, reporter, reviewer, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        reaction_submit(reaction=draft, actor=reporter)
    assert [m.to for m in mail.outbox] == [["reviewer@pv.example"]]
    assert "submitted for review" in mail.outbox[0].subject

    with django_capture_on_commit_callbacks(execute=True):
        returned = reaction_return(reaction=draft, actor=reviewer, question="  Which arm was injected?  ", signature=signed(reviewer, "return"))
    assert returned.status == "returned"
    question = ReactionComment.objects.get()
    assert (question.kind, question.author, question.text) == ("question", reviewer, "Which arm was injected?")
    assert mail.outbox[1].to == ["nurse@site01.example"] and "Which arm was injected?" in mail.outbox[1].body

    # The site answers by editing (a reporter may edit a returned case) and submitting again.
    edited = reaction_update(reaction=returned, actor=reporter, expected_version=returned.version,
                             injection_site="upper_arm_left", reason="Site corrected after the question")
    reaction_comment_add(reaction=edited, actor=reporter, text="Left upper arm, corrected.")
    with django_capture_on_commit_callbacks(execute=True):
        resubmitted = reaction_submit(reaction=edited, actor=reporter)
    assert resubmitted.status == "submitted"
    assert resubmitted.history.first().history_change_reason == "Resubmitted after a question"

    with django_capture_on_commit_callbacks(execute=True):
        locked = reaction_review(reaction=resubmitted, actor=reviewer, causality="probable", signature=signed(reviewer, "review"))
    assert locked.status == "reviewed"
    assert mail.outbox[-1].to == ["nurse@site01.example"] and "locked" in mail.outbox[-1].subject


@pytest.mark.parametrize("question", ["", "   "])
def test_a_return_needs_a_question_and_writes_nothing_without_one(draft, reporter, reviewer, question):
    reaction_submit(reaction=draft, actor=reporter)
    with pytest.raises(ValidationError) as raised:
        reaction_return(reaction=draft, actor=reviewer, question=question, signature=signed(reviewer, "return"))
    assert "question" in raised.value.message_dict
    draft.refresh_from_db()
    assert draft.status == "submitted" and not ReactionComment.objects.exists()


def test_only_a_reviewer_returns_and_only_a_submitted_case(draft, reporter, reviewer, analyst, other_reporter):
    with pytest.raises(ValidationError):
        reaction_return(reaction=draft, actor=reviewer, question="?", signature=signed(reviewer, "return"))  # still a draft
    reaction_submit(reaction=draft, actor=reporter)
    for user in (reporter, analyst):
        with pytest.raises(PermissionDenied):
            reaction_return(reaction=draft, actor=user, question="Why?", signature=signed(user, "return"))
    site_02_reviewer = UserFactory(site=other_reporter.site, roles=["reviewer"])
    with pytest.raises(PermissionDenied):
        reaction_return(reaction=draft, actor=site_02_reviewer, question="Why?", signature=signed(site_02_reviewer, "return"))
    assert reaction_return(reaction=draft, actor=reviewer, question="Why?", signature=signed(reviewer, "return")).status == "returned"


def test_analysts_do_not_comment_and_other_sites_cannot_see(draft, analyst, other_reporter):
    for user in (analyst, other_reporter):
        with pytest.raises(PermissionDenied):
            reaction_comment_add(reaction=draft, actor=user, text="hello")
    assert not ReactionComment.objects.exists()


def test_comments_are_in_the_cases_history_page(client, draft, reporter):
    reaction_comment_add(reaction=draft, actor=reporter, text="Photo kept in the clinic file.")
    client.force_login(reporter)
    page = client.get(reverse("reactions:history", args=[draft.pk])).content.decode()
    assert "Photo kept in the clinic file." in page and "reporter-01" in page
    with pytest.raises(ValidationError):
        ReactionComment.objects.get().delete()


def test_a_mail_server_failure_does_not_undo_the_step(draft, reporter, settings, django_capture_on_commit_callbacks,
                                                     caplog):
    settings.EMAIL_BACKEND = "tests.reactions.test_workflow.BrokenBackend"
    with django_capture_on_commit_callbacks(execute=True):
        reaction_submit(reaction=draft, actor=reporter)
    draft.refresh_from_db()
    assert draft.status == "submitted"
    assert "Could not send the notification" in caplog.text


class BrokenBackend:
    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise ConnectionRefusedError("mail server down")


# --- follow-ups ---------------------------------------------------------------------------------

def test_a_follow_up_is_the_next_version_of_the_locked_case_and_exports_with_the_same_case_id(
        draft, reporter, reviewer, sender, django_capture_on_commit_callbacks):
    case = locked_case(draft, reporter, reviewer, django_capture_on_commit_callbacks)
    first = e2b_export(reactions=[case], actor=reviewer, signature=signed(reviewer, "e2b_export")).exports[0]
    assert first.version_number == 1

    follow_up = reaction_followup_create(reaction=case, actor=reporter, received_on=date(2025, 2, 15),
                                         summary="Swelling persisted; resolved later.",
                                         resolution_date=date(2025, 2, 10), severity="mild", ctcae_grade=1)
    assert follow_up.case_version == 2 and follow_up.status == "draft"
    assert follow_up.changes == {"resolution_date": "2025-02-10", "ctcae_grade": 1}
    case.refresh_from_db()
    # The locked case is untouched until the follow-up is reviewed.
    assert (case.status, case.resolution_date, case.case_version) == ("reviewed", date(2025, 1, 30), 1)

    reaction_followup_submit(follow_up=follow_up, actor=reporter)
    reaction_followup_return(follow_up=follow_up, actor=reviewer, question="Which date exactly?",
                             signature=signed(reviewer, "return"))
    follow_up = reaction_followup_update(follow_up=follow_up, actor=reporter, received_on=date(2025, 2, 15),
                                         summary="Resolved on 2025-02-11 (clinic visit).",
                                         resolution_date=date(2025, 2, 11), ctcae_grade=1)
    reaction_followup_submit(follow_up=follow_up, actor=reporter)
    with django_capture_on_commit_callbacks(execute=True):
        locked = reaction_followup_lock(follow_up=follow_up, actor=reviewer, signature=signed(reviewer, "follow_up_lock"))
    case.refresh_from_db()
    assert locked.status == "reviewed"
    assert (case.status, case.case_version, case.resolution_date, case.latest_information_date) == (
        "reviewed", 2, date(2025, 2, 11), date(2025, 2, 15))
    assert case.history.first().history_change_reason.startswith("Follow-up reviewed and locked, signed by")

    second = e2b_export(reactions=[case], actor=reviewer, signature=signed(reviewer, "e2b_export")).exports[0]
    assert (second.case_id, second.version_number) == (first.case_id, 2)
    assert "20250215" in second.message_xml  # C.1.5 most recent information: the follow-up's receipt date


def test_a_follow_up_that_breaks_a_rule_is_refused_whole(draft, reporter, reviewer,
                                                         django_capture_on_commit_callbacks):
    case = locked_case(draft, reporter, reviewer, django_capture_on_commit_callbacks)
    with pytest.raises(ValidationError) as raised:
        reaction_followup_create(reaction=case, actor=reporter, received_on=date(2025, 2, 15), summary="Graded",
                                 severity="mild", ctcae_grade=3)
    assert "ctcae_grade" in raised.value.message_dict
    with pytest.raises(ValidationError) as raised:
        reaction_followup_create(reaction=case, actor=reporter, received_on=date(2999, 1, 1), summary="x")
    assert "received_on" in raised.value.message_dict
    assert not ReactionFollowUp.objects.exists()


def test_follow_ups_only_on_locked_cases_one_at_a_time_and_not_empty(draft, reporter, reviewer,
                                                                      django_capture_on_commit_callbacks):
    with pytest.raises(ValidationError):
        reaction_followup_create(reaction=draft, actor=reporter, received_on=date(2025, 2, 1), summary="x")
    case = locked_case(draft, reporter, reviewer, django_capture_on_commit_callbacks)
    follow_up = reaction_followup_create(reaction=case, actor=reporter, received_on=date(2025, 2, 1),
                                         summary="Nothing new in fact")
    with pytest.raises(ValidationError, match="in progress"):
        reaction_followup_create(reaction=case, actor=reporter, received_on=date(2025, 2, 1), summary="again")
    with pytest.raises(ValidationError, match="changes nothing"):
        reaction_followup_submit(follow_up=follow_up, actor=reporter)
    with pytest.raises(PermissionDenied):
        reaction_followup_lock(follow_up=follow_up, actor=reporter, signature=signed(reporter, "follow_up_lock"))


def test_the_detail_page_offers_each_step_to_the_right_role(client, draft, reporter, reviewer, analyst):
    reaction_submit(reaction=draft, actor=reporter)
    client.force_login(reviewer)
    assert 'id="return-button"' in client.get(reverse("reactions:detail", args=[draft.pk])).content.decode()
    response = client.post(reverse("reactions:return", args=[draft.pk]), {"question": "Diameter?", **SIGN_RETURN})
    assert response.status_code == 302
    client.force_login(reporter)
    page = client.get(reverse("reactions:detail", args=[draft.pk])).content.decode()
    assert 'id="returned-banner"' in page and "Diameter?" in page and 'id="edit-button"' in page
    client.force_login(analyst)
    page = client.get(reverse("reactions:detail", args=[draft.pk])).content.decode()
    assert 'id="comment-form"' not in page and 'id="edit-button"' not in page


TEXT = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=4100)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(question=TEXT)
def test_the_return_form_never_fails_and_never_half_writes(client, draft, reporter, reviewer, question):
    InjectionSiteReaction.objects.filter(pk=draft.pk).update(status="submitted")
    before = ReactionComment.objects.count()
    client.force_login(reviewer)
    response = client.post(reverse("reactions:return", args=[draft.pk]), {"question": question, **SIGN_RETURN})
    draft.refresh_from_db()
    if response.status_code == 302:
        assert draft.status == "returned" and ReactionComment.objects.count() == before + 1
        assert ReactionComment.objects.last().text == question.strip()
    else:
        assert response.status_code == 200 and draft.status == "submitted"
        assert ReactionComment.objects.count() == before
        assert 'data-error-for="question"' in response.content.decode()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=TEXT)
def test_the_comment_form_never_fails_and_never_half_writes(client, draft, reporter, text):
    before = ReactionComment.objects.count()
    client.force_login(reporter)
    response = client.post(reverse("reactions:comment", args=[draft.pk]), {"text": text})
    assert response.status_code == 302
    # Django's CharField strips the text, then refuses it empty, over 4000 characters or with a NUL.
    valid = bool(text.strip()) and len(text.strip()) <= 4000 and "\x00" not in text
    expected = before + (1 if valid else 0)
    assert ReactionComment.objects.count() == expected


def test_a_follow_up_cannot_be_received_before_the_case_was_first_received(
        draft, reporter, reviewer, django_capture_on_commit_callbacks):
    case = locked_case(draft, reporter, reviewer, django_capture_on_commit_callbacks)
    with pytest.raises(ValidationError) as refused:
        reaction_followup_create(reaction=case, actor=reporter, received_on=date(2025, 1, 11),
                                 summary="Earlier news.", resolution_date=date(2025, 1, 29))
    assert "2025-01-12" in str(refused.value.message_dict["received_on"])
    assert not case.follow_ups.exists()


def test_the_person_who_entered_a_follow_up_cannot_lock_it(draft, reporter, reviewer, client,
                                                             django_capture_on_commit_callbacks):
    """Four eyes on follow-ups too: a reviewer's own follow-up is locked by another reviewer (or with the
    one-person-site setting)."""
    from apps.audit.models import ComplianceSettings
    from tests.factories import SIGN_FOLLOW_UP

    case = locked_case(draft, reporter, reviewer, django_capture_on_commit_callbacks)
    follow_up = reaction_followup_create(reaction=case, actor=reviewer, received_on=date(2025, 2, 15),
                                         summary="Resolved later.", resolution_date=date(2025, 2, 10))
    reaction_followup_submit(follow_up=follow_up, actor=reviewer)
    with pytest.raises(PermissionDenied, match="Four eyes"):
        reaction_followup_lock(follow_up=follow_up, actor=reviewer, signature=signed(reviewer, "follow_up_lock"))
    client.force_login(reviewer)
    page = client.get(reverse("reactions:detail", args=[case.pk])).content.decode()
    assert 'id="follow-up-lock"' not in page and "Return to the site" in page
    refused = client.post(reverse("reactions:followup_review", args=[follow_up.pk]), SIGN_FOLLOW_UP)
    assert refused.status_code == 403 and "Four eyes" in refused.content.decode()

    other = UserFactory(username="reviewer-b", roles=["reviewer"])
    locked = reaction_followup_lock(follow_up=follow_up, actor=other, signature=signed(other, "follow_up_lock"))
    assert locked.status == "reviewed" and locked.reviewed_by == other

    settings_row = ComplianceSettings.current()
    settings_row.allow_self_review = True
    settings_row.save()
    second = reaction_followup_create(reaction=case, actor=reviewer, received_on=date(2025, 2, 20),
                                      summary="Grade corrected.", ctcae_grade=2, severity="moderate")
    reaction_followup_submit(follow_up=second, actor=reviewer)
    assert reaction_followup_lock(follow_up=second, actor=reviewer,
                                  signature=signed(reviewer, "follow_up_lock")).status == "reviewed"


def test_notifications_reach_each_person_in_their_language_which_the_switcher_sets(
        draft, reporter, reviewer, client, django_capture_on_commit_callbacks):
    client.force_login(reviewer)
    assert client.post(reverse("set_language"), {"language": "it", "next": "/"}).status_code == 302
    reviewer.refresh_from_db()
    assert reviewer.language == "it" and reporter.language == ""
    with django_capture_on_commit_callbacks(execute=True):
        reaction_submit(reaction=draft, actor=reporter)
    assert mail.outbox[-1].to == ["reviewer@pv.example"]
    assert mail.outbox[-1].subject == f"[pv-tracker] Reazione {draft.reaction_ref} inviata per la revisione"
    with django_capture_on_commit_callbacks(execute=True):
        reaction_return(reaction=draft, actor=reviewer, question="Quale braccio?", signature=signed(reviewer, "return"))
    assert mail.outbox[-1].to == ["nurse@site01.example"]  # the installation's language: English
    assert mail.outbox[-1].subject == f"[pv-tracker] Reaction {draft.reaction_ref} returned with a question"
