"""Regulatory clocks: day zero, the rule sets by country and seriousness, the queue, the reminder."""
from datetime import date, datetime, timedelta
from unittest import mock

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from apps.clocks.selectors import case_clock, clock_queue
from apps.clocks.services import email_due_cases
from apps.e2b.services import e2b_export
from tests.factories import ExposurePeriodFactory, PatientFactory, ReactionFactory, SiteFactory, UserFactory

pytestmark = pytest.mark.django_db

DAY_ZERO = date(2025, 3, 1)


def at(value):
    """Freeze the clock (the edge of the world) at `value`."""
    return mock.patch("django.utils.timezone.now", return_value=value)


def local(day, hours=0):
    return timezone.make_aware(datetime.combine(day, datetime.min.time())) + timedelta(hours=hours)


def case(country, product, **fields):
    site = SiteFactory(code=f"site-{country.lower()}", country=country)
    patient = PatientFactory(site=site)
    ExposurePeriodFactory(patient=patient, product=product, start_date=date(2025, 1, 1))
    values = dict(patient=patient, product=product, onset_date=date(2025, 2, 20), resolution_date=None,
                  outcome="not_recovered", seriousness=[], received_date=DAY_ZERO,
                  reporter_qualification="physician", status="submitted")
    values.update(fields)
    return ReactionFactory(**values)


def test_a_serious_case_entered_ten_days_after_day_zero_is_due_in_five_days_under_eu_rules(product, reviewer,
                                                                                           client):
    serious = case("FR", product, seriousness=["hospitalisation"])
    client.force_login(reviewer)
    with at(local(DAY_ZERO + timedelta(days=10), hours=9)):
        page = client.get(reverse("clocks:queue")).content.decode()
        detail = client.get(reverse("reactions:detail", args=[serious.pk])).content.decode()
    row = page.split(serious.reaction_ref)[1].split("</tr>")[0]
    assert "due in 5 days" in row and "EU GVP VI: serious" in row
    assert "due in 5 days" in detail.split('id="case-clock"')[1]


def test_a_non_serious_eu_case_runs_ninety_days_and_is_not_yet_in_the_queue(product):
    reaction = case("DE", product)
    with at(local(DAY_ZERO + timedelta(days=10))):
        clock = case_clock(reaction)
        assert clock.rule.code == "eu_non_serious" and clock.label == "due in 80 days" and clock.state == "running"
        assert clock_queue(user=None) == []


def test_an_italian_health_professionals_anakinra_report_is_overdue_after_36_hours(product, reviewer, client):
    assert product.is_biological
    reaction = case("IT", product)
    client.force_login(reviewer)
    with at(local(DAY_ZERO, hours=35)):
        assert case_clock(reaction).label == "due in 1 hour"
    with at(local(DAY_ZERO, hours=37)):
        clock = case_clock(reaction)
        page = client.get(reverse("clocks:queue")).content.decode()
    assert clock.rule.code == "it_hp_biological" and clock.state == "overdue" and clock.label == "overdue by 1 hour"
    assert "overdue by 1 hour" in page.split(reaction.reaction_ref)[1].split("</tr>")[0]


def test_an_italian_consumer_report_is_under_the_eu_rules_only(product):
    reaction = case("IT", product, reporter_qualification="consumer")
    with at(local(DAY_ZERO, hours=37)):
        assert case_clock(reaction).rule.code == "eu_non_serious"


def test_a_non_biological_product_gives_an_italian_health_professional_two_days(product):
    from tests.factories import ProductFactory

    other = ProductFactory(code="methotrexate-sc")
    reaction = case("IT", other)
    with at(local(DAY_ZERO, hours=37)):
        assert case_clock(reaction).rule.code == "it_hp" and case_clock(reaction).label == "due in 1 day"


def test_fda_gives_a_serious_case_fifteen_days_and_a_non_serious_one_no_clock(product):
    serious = case("US", product, seriousness=["other_medically_important"])
    other = case("US", product, reaction_ref="US-NS")
    with at(local(DAY_ZERO + timedelta(days=16))):
        assert case_clock(serious).rule.code == "fda_serious_unexpected" and case_clock(serious).state == "overdue"
        assert case_clock(other) is None


def test_a_case_sent_in_time_leaves_the_queue(product, sender, reviewer):
    reaction = case("FR", product, seriousness=["hospitalisation"], meddra_llt_code="10022086",
                    meddra_version="27.1", causality="probable")
    with at(local(DAY_ZERO + timedelta(days=3))):
        e2b_export(reactions=[reaction])
    with at(local(DAY_ZERO + timedelta(days=20))):
        assert case_clock(reaction).state == "sent_on_time"
        assert clock_queue(user=None) == []


def test_a_reporter_sees_only_the_clocks_of_their_site(product, reporter, client):
    reporter.site.country = "FR"
    reporter.site.save()
    mine = case("FR", product, seriousness=["hospitalisation"], patient=PatientFactory(site=reporter.site))
    ExposurePeriodFactory(patient=mine.patient, product=product, start_date=date(2025, 1, 1))
    theirs = case("DE", product, seriousness=["hospitalisation"])
    with at(local(DAY_ZERO + timedelta(days=14))):
        refs = [clock.reaction.reaction_ref for clock in clock_queue(user=reporter)]
    assert refs == [mine.reaction_ref] and theirs.reaction_ref not in refs


def test_the_daily_job_emails_central_reviewers_the_due_and_overdue_cases(product, reviewer):
    reviewer.email = "reviewer@example.org"
    reviewer.save()
    UserFactory(username="site-reviewer", email="site@example.org", roles=["reviewer"], site=SiteFactory())
    overdue = case("IT", product)
    soon = case("FR", product, seriousness=["hospitalisation"], reaction_ref="FR-SOON")
    from apps.clocks.tasks import email_due_cases_task

    with at(local(DAY_ZERO + timedelta(days=13))):
        assert email_due_cases_task.apply().get() == 2
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["reviewer@example.org"]
    body = mail.outbox[0].body
    assert overdue.reaction_ref in body and "overdue by 11 days" in body and "FR-SOON" in body
    assert mail.outbox[0].subject == "pv-tracker: 1 overdue, 1 case due soon"


def test_no_email_when_nothing_is_due(reviewer):
    assert email_due_cases() == 0 and mail.outbox == []


def test_each_reviewer_gets_the_reminder_in_their_language_and_the_queue_page_speaks_italian(product, reviewer,
                                                                                             client):
    reviewer.email, reviewer.language = "revisore@example.org", "it"
    reviewer.save()
    UserFactory(username="central-en", email="central@example.org", roles=["reviewer"], language="en-gb")
    overdue = case("IT", product)
    with at(local(DAY_ZERO + timedelta(days=13))):
        assert email_due_cases() == 1
        client.force_login(reviewer)
        client.cookies["django_language"] = "it"
        page = client.get(reverse("clocks:queue")).content.decode()
    by_address = {message.to[0]: message for message in mail.outbox}
    assert set(by_address) == {"revisore@example.org", "central@example.org"}
    italian, english = by_address["revisore@example.org"], by_address["central@example.org"]
    assert italian.subject == "pv-tracker: 1 scaduto, 0 casi in scadenza" and "scaduto da 11 giorni" in italian.body
    assert english.subject == "pv-tracker: 1 overdue, 0 cases due soon" and "overdue by 11 days" in english.body
    assert overdue.reaction_ref in page and "Scadenze regolatorie" in page and "scaduto da 11 giorni" in page
    assert "overdue by" not in page and "Regulatory clocks" not in page
