"""Report services: idempotent runs, snapshot reuse, failures, the sweeper and the alerts."""
from datetime import date
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from apps.cohort import profile as cohort_profile
from apps.reports import services
from apps.reports.models import AggregateReport, ReportStatus
from tests.factories import ExposurePeriodFactory, anakinra, PatientFactory, ReactionFactory, UserFactory
from tests.reports.cohort import AS_OF, build_cohort

pytestmark = pytest.mark.django_db


def request(product, **kwargs):
    return services.report_request(product=product, as_of=AS_OF, queue=False, **kwargs)


def test_running_a_report_twice_computes_it_once(product):
    report = request(product)
    first = services.report_run(report_id=report.pk)
    second = services.report_run(report_id=report.pk)
    assert first.status == second.status == ReportStatus.DONE
    assert second.attempts == 1 and second.finished_at == first.finished_at


def test_a_second_request_while_one_is_queued_reuses_it(product):
    assert request(product).pk == request(product).pk
    assert AggregateReport.objects.count() == 1


def test_different_parameters_make_a_different_request(product, site):
    assert request(product).pk != request(product, site=site).pk


def test_a_request_whose_data_match_an_existing_snapshot_becomes_a_duplicate(product):
    snapshot = services.report_run(report_id=request(product).pk)
    late = AggregateReport.objects.create(product=product, as_of=AS_OF, reference_profile=snapshot.reference_profile,
                                          params_key=snapshot.params_key)
    late = services.report_run(report_id=late.pk)
    assert late.status == ReportStatus.DUPLICATE and late.same_as == snapshot
    assert AggregateReport.objects.filter(status=ReportStatus.DONE).count() == 1


def test_changed_data_give_a_new_snapshot_and_the_old_one_is_kept(product, site, other_site):
    cohort = build_cohort(site, other_site)
    old = services.report_run(report_id=request(product).pk)
    assert request(product) == old  # unchanged data: the existing snapshot comes back
    reaction = cohort.reactions["R1"]
    reaction.voided_at, reaction.void_reason = timezone.now(), "entered in error"
    reaction.save()
    new = services.report_run(report_id=request(product).pk)
    assert new.pk != old.pk and new.data_fingerprint != old.data_fingerprint
    assert (old.results["isr_events"], new.results["isr_events"]) == (6, 5)


def test_a_changed_reference_profile_gives_a_new_snapshot(product):
    old = services.report_run(report_id=request(product).pk)
    profile = product.current_reference_profile()
    profile.isr_incidence = "0.70000"
    profile.save()
    new = services.report_run(report_id=request(product).pk)
    assert new.pk != old.pk and new.results["reference_incidence"] == 0.7
    assert new.reference_history_id is not None and new.reference_figures["isr_incidence"] == "0.70000"


def test_a_done_snapshot_cannot_be_changed_or_deleted(product):
    report = services.report_run(report_id=request(product).pk)
    report.as_of = date(2020, 1, 1)
    with pytest.raises(ValidationError, match="immutable"):
        report.save()
    with pytest.raises(ValidationError, match="cannot be deleted"):
        report.delete()


def test_a_report_needs_a_reference_profile(product):
    product.reference_profiles.update(is_primary=False)
    with pytest.raises(ValidationError) as excinfo:
        request(product)
    assert "no current reference profile" in str(excinfo.value.message_dict["reference_profile"])


def test_a_computation_error_is_recorded_on_the_report(product, monkeypatch):
    # Fault injection: the query layer raises as a broken database would.
    def broken(scope, reference_profile):
        raise RuntimeError("database went away")
    monkeypatch.setattr(cohort_profile, "isr_profile", broken)
    report = services.report_run(report_id=request(product).pk)
    assert report.status == ReportStatus.FAILED and report.error == "RuntimeError: database went away"


def test_a_report_that_keeps_killing_its_worker_fails_instead_of_looping(product):
    report = request(product)
    AggregateReport.objects.filter(pk=report.pk).update(
        status=ReportStatus.RUNNING, attempts=services.MAX_ATTEMPTS, lease_expires_at=timezone.now())
    report = services.report_run(report_id=report.pk)
    assert report.status == ReportStatus.FAILED and "stopped 3 times" in report.error


def test_a_running_report_with_a_live_lease_is_left_to_its_worker(product):
    report = request(product)
    AggregateReport.objects.filter(pk=report.pk).update(
        status=ReportStatus.RUNNING, attempts=1, attempt_token="other",
        lease_expires_at=timezone.now() + timezone.timedelta(minutes=5))
    assert services.report_run(report_id=report.pk).status == ReportStatus.RUNNING
    assert AggregateReport.objects.get(pk=report.pk).attempt_token == "other"


def test_the_sweeper_resends_stuck_requests_once_and_fails_hopeless_ones(product, site, filesystem_broker, settings):
    settings.REPORTS_REQUEUE_AFTER_SECONDS = 60
    fresh = request(product)
    stuck = request(product, site=site)
    long_ago = timezone.now() - timezone.timedelta(minutes=5)
    AggregateReport.objects.filter(pk=stuck.pk).update(last_enqueued_at=long_ago)
    hopeless = services.report_request(product=product, as_of=date(2026, 1, 1), queue=False)
    AggregateReport.objects.filter(pk=hopeless.pk).update(status=ReportStatus.RUNNING, attempts=3,
                                                          lease_expires_at=long_ago, last_enqueued_at=long_ago)
    assert services.reports_requeue_stuck() == [stuck.pk]
    assert services.reports_requeue_stuck() == []  # just re-sent: not again until the grace has passed
    assert len(list(Path(filesystem_broker.transport_options["data_folder_out"]).iterdir())) == 1  # one message
    assert AggregateReport.objects.get(pk=fresh.pk).status == ReportStatus.QUEUED
    assert AggregateReport.objects.get(pk=hopeless.pk).status == ReportStatus.FAILED


# --- alerts ------------------------------------------------------------------------------------

@pytest.fixture
def recipients(db):
    return [UserFactory(username="rev", email="rev@example.org", roles=["reviewer"]),
            UserFactory(username="ana", email="ana@example.org", roles=["analyst"]),
            UserFactory(username="rep", email="rep@example.org", roles=["reporter"])]


def deviating_cohort(site, patients=20):
    """Every patient has a severe ISR lasting 60 days: incidence 100% (reference 64.4%, p < 0.001),
    no mild/moderate patient (reference 95%), every duration 60 days (restricted mean 60, se 0: > 28).
    A monitoring plan with N max = the cohort makes the scheduled report one look spending all of α."""
    services.monitoring_plan_save(product=anakinra(), start_date=date(2025, 1, 1), max_cohort_patients=patients)
    for number in range(patients):
        patient = PatientFactory(site=site, patient_ref=f"DEV-{number}")
        ExposurePeriodFactory(patient=patient, start_date=date(2025, 1, 1))
        ReactionFactory(patient=patient, reaction_ref=f"DEV-R{number}", onset_date=date(2025, 2, 1),
                        resolution_date=date(2025, 4, 1), severity="severe")


def run_scheduled():
    [report] = services.scheduled_reports_request(product_codes=["anakinra"], as_of=AS_OF)
    return services.report_run(report_id=report.pk)


def test_a_scheduled_report_that_deviates_emails_reviewers_and_analysts(product, site, recipients, mailoutbox,
                                                                       django_capture_on_commit_callbacks):
    deviating_cohort(site)
    with django_capture_on_commit_callbacks(execute=False):
        report = run_scheduled()
    assert report.scheduled and len(report.alerts) == 3
    assert len(mailoutbox) == 1
    email = mailoutbox[0]
    assert sorted(email.to) == ["ana@example.org", "rev@example.org"]
    assert "anakinra" in email.subject
    assert "horizon ISR incidence 20/20 = 100.0% crossed the higher boundary at look 1" in email.body
    assert "horizon mild/moderate share 0/20 = 0.0% crossed the lower boundary at look 1" in email.body
    assert ("ISR duration (Kaplan–Meier restricted mean to 365 days) 60.0 days, 95% CI 60.0–60.0, is longer than "
            "the reference range 14–28 days") in email.body
    assert reverse("reports:detail", args=[report.pk]) in email.body
    # Sent once: running or adopting the snapshot again sends nothing more.
    services.report_send_alerts(report=report)
    with django_capture_on_commit_callbacks(execute=False):
        run_scheduled()
    assert len(mailoutbox) == 1


def test_the_banner_shows_the_alerting_scheduled_report_to_central_report_users(client, product, site, recipients,
                                                                               analyst, reporter,
                                                                               django_capture_on_commit_callbacks):
    deviating_cohort(site)
    with django_capture_on_commit_callbacks(execute=False):
        report = run_scheduled()
    client.force_login(analyst)
    page = client.get(reverse("reports:list")).content.decode()
    assert "pv-report-alert" in page and f"Open report #{report.pk}" in page
    client.force_login(reporter)
    assert "pv-report-alert" not in client.get(reverse("dashboard:home")).content.decode()


def test_a_consistent_scheduled_report_sends_no_email(product, site, other_site, recipients, mailoutbox,
                                                      django_capture_on_commit_callbacks):
    build_cohort(site, other_site)  # every verdict is "consistent" (see test_pv_aggregate)
    with django_capture_on_commit_callbacks(execute=False):
        report = run_scheduled()
    assert report.status == ReportStatus.DONE and report.alerts == []
    assert mailoutbox == []


def test_a_manual_report_that_deviates_sends_no_email_until_the_schedule_adopts_it(product, site, recipients,
                                                                                   mailoutbox,
                                                                                   django_capture_on_commit_callbacks):
    deviating_cohort(site)
    manual = services.report_run(report_id=request(product).pk)
    assert manual.alerts and not manual.scheduled and mailoutbox == []
    with django_capture_on_commit_callbacks(execute=False):
        scheduled = run_scheduled()
    assert scheduled.pk == manual.pk and scheduled.scheduled
    assert len(mailoutbox) == 1
