"""Sequential monitoring wired into scheduled reports: plans, looks, boundaries, signals and alerts."""
import json
from datetime import date, timedelta
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.urls import reverse

from apps.reports import services
from apps.reports.models import MonitoringLook, MonitoringPlan
from tests.factories import ExposurePeriodFactory, PatientFactory, ReactionFactory, UserFactory

pytestmark = pytest.mark.django_db

LOOK_DATES = [date(2025, 6, 30), date(2025, 7, 31), date(2025, 8, 31), date(2025, 9, 30)]


def growing_cohort(site):
    """Horizon h = 168 (the seed overview), so the cohort at D holds first starts ≤ D − 167:
    D1 2025-06-30 → ≤ 2025-01-14; D2 2025-07-31 → ≤ 02-14; D3 2025-08-31 → ≤ 03-17; D4 2025-09-30 → ≤ 04-16.
    Group 1 (10 patients, start 2025-01-01, 7 with an ISR on day 11), group 2 (10, start 02-10, 6 with ISR),
    group 4 (20, start 04-01, 13 with ISR); nobody starts between 02-15 and 03-17, so D3 adds no patient.
    Horizon cohort / with ISR: D1 10 / 7, D2 20 / 13, D3 20 / 13 (skipped), D4 40 / 26."""
    for group, (start, patients, with_isr) in enumerate([(date(2025, 1, 1), 10, 7), (date(2025, 2, 10), 10, 6),
                                                         (date(2025, 4, 1), 20, 13)]):
        for number in range(patients):
            patient = PatientFactory(site=site, patient_ref=f"G{group}-{number}")
            ExposurePeriodFactory(patient=patient, start_date=start)
            if number < with_isr:
                ReactionFactory(patient=patient, reaction_ref=f"G{group}-R{number}",
                                onset_date=start + timedelta(days=10), resolution_date=start + timedelta(days=25),
                                severity="mild")


def scheduled_json(as_of):
    out = StringIO()
    call_command("pv_aggregate", "--product", "anakinra", "--as-of", as_of.isoformat(), "--scheduled", "--json",
                 stdout=out)
    return json.loads(out.getvalue())


@pytest.fixture
def plan(product):
    return services.monitoring_plan_save(product=product, start_date=date(2025, 6, 1), max_cohort_patients=40)


def test_each_scheduled_run_is_a_look_with_the_published_boundaries(site, product, plan, mailoutbox):
    growing_cohort(site)
    reports = [scheduled_json(as_of) for as_of in LOOK_DATES]
    looks = reports[-1]["monitoring_looks"]["horizon_incidence"]
    # D3 added no patient to the horizon cohort: skipped, so three looks at information 10, 20, 40 of N max 40.
    assert [(look["as_of"], look["n"], look["x"]) for look in looks] == [
        ("2025-06-30", 10, 7), ("2025-07-31", 20, 13), ("2025-09-30", 40, 26)]
    assert [look["information_fraction"] for look in looks] == [0.25, 0.5, 1.0]
    # R rpact: getDesignGroupSequential(informationRates = c(0.25, 0.5, 1), alpha = 0.05, sided = 2,
    #   typeOfDesign = "asOF") -> criticalValues 4.332633646 2.963131599 1.968604319,
    #   alphaSpent 1.473361687e-05 3.050645505e-03 0.05
    assert [look["critical_value"] for look in looks] == pytest.approx([4.332633646, 2.963131599, 1.968604319],
                                                                       abs=1e-6)
    assert [look["cumulative_alpha_spent"] for look in looks] == pytest.approx(
        [1.473361687e-05, 3.050645505e-03, 0.05], rel=1e-6)
    # z = (x − n·0.644) / √(n·0.644·0.356): (7 − 6.44) / 1.514133 = 0.369845; (13 − 12.88) / 2.141308 = 0.056040;
    # (26 − 25.76) / 3.028293 = 0.079253.
    assert [look["z"] for look in looks] == pytest.approx([0.369845, 0.056040, 0.079253], abs=1e-6)
    assert reports[-1]["monitoring_signal"] == {"horizon_incidence": "none", "horizon_mild_moderate_share": "none"}
    # Every ISR is mild: the share measure looks at the patients with an ISR (7, 13, 26), all mild/moderate.
    share = reports[-1]["monitoring_looks"]["horizon_mild_moderate_share"]
    assert [(look["n"], look["x"]) for look in share] == [(7, 7), (13, 13), (26, 26)]
    # An earlier report shows only the looks up to its own date; running a look again records nothing new.
    assert len(reports[1]["monitoring_looks"]["horizon_incidence"]) == 2
    scheduled_json(LOOK_DATES[-1])
    assert MonitoringLook.objects.filter(measure="horizon_incidence").count() == 3
    assert mailoutbox == []


def test_a_boundary_crossing_alerts_by_email_and_banner(client, site, product, plan, mailoutbox):
    UserFactory(username="rev", email="rev@example.org", roles=["reviewer"])
    analyst = UserFactory(username="ana", email="ana@example.org", roles=["analyst"])
    for number in range(40):  # everybody starts 2025-01-01 and has a severe ISR on day 11
        patient = PatientFactory(site=site, patient_ref=f"S{number}")
        ExposurePeriodFactory(patient=patient, start_date=date(2025, 1, 1))
        ReactionFactory(patient=patient, reaction_ref=f"S-R{number}", onset_date=date(2025, 1, 11),
                        resolution_date=date(2025, 1, 20), severity="severe")
    report = scheduled_json(date(2025, 6, 30))
    # One look with the whole N max: t = 1, all α at once, c = qnorm(0.975) = 1.959963985 (R).
    # z = (40 − 25.76) / 3.028293 = 4.702319 ≥ 1.96: higher. Share: n = 40, x = 0, p0 = 0.95:
    # z = (0 − 38) / √(40·0.95·0.05) = −38 / 1.378405 = −27.568; lower.
    [incidence] = report["monitoring_looks"]["horizon_incidence"]
    assert incidence["critical_value"] == pytest.approx(1.959963985, abs=1e-8)
    assert incidence["z"] == pytest.approx(4.702319, abs=1e-6)
    assert report["monitoring_signal"] == {"horizon_incidence": "higher", "horizon_mild_moderate_share": "lower"}
    assert len(mailoutbox) == 1
    body = mailoutbox[0].body
    assert "horizon ISR incidence 40/40 = 100.0% crossed the higher boundary at look 1" in body
    assert "horizon mild/moderate share 0/40 = 0.0% crossed the lower boundary" in body
    client.force_login(analyst)
    page = client.get(reverse("reports:list")).content.decode()
    assert "pv-report-alert" in page and "crossed the higher boundary" in page


def test_without_a_plan_a_nominal_deviation_does_not_alert(site, product, mailoutbox):
    UserFactory(username="rev", email="rev@example.org", roles=["reviewer"])
    for number in range(40):  # 40 of 40 with an ISR: nominal p < 0.0001 against 64.4%
        patient = PatientFactory(site=site, patient_ref=f"S{number}")
        ExposurePeriodFactory(patient=patient, start_date=date(2025, 1, 1))
        ReactionFactory(patient=patient, reaction_ref=f"S-R{number}", onset_date=date(2025, 1, 11),
                        resolution_date=date(2025, 1, 20), severity="mild")
    report = scheduled_json(date(2025, 6, 30))
    assert report["horizon_incidence_p_value"] < 0.0001
    assert report["monitoring_looks"] == {} and report["monitoring_signal"] == {}
    assert mailoutbox == []


def test_the_report_page_shows_the_monitoring_chart_and_every_current_profile(client, site, product, plan):
    growing_cohort(site)
    for as_of in LOOK_DATES[:2]:
        scheduled_json(as_of)
    analyst = UserFactory(username="ana", roles=["analyst"])
    client.force_login(analyst)
    report = product.aggregate_reports.get(as_of=LOOK_DATES[1], scheduled=True)
    page = client.get(reverse("reports:detail", args=[report.pk])).content.decode()
    assert 'id="chart-monitoring-horizon_incidence"' in page and "Sequential monitoring: Horizon incidence" in page
    assert "Nominal p" in page and "<strong>nominal</strong>" in page
    for label in ("Kineret RA overview", "Kineret US Prescribing Information", "Fleischmann 2006 extended treatment"):
        assert label in page
    assert "ISR events per 100 patient-years, 0-1 y (cumulative)" in page  # Fleischmann 2006, table 3
    assert "Late onsets" in page and "Horizon cohort" in page and "Attributable reactions" in page


def test_the_plan_command_sets_up_shows_and_then_freezes_a_plan(site, product):
    out = StringIO()
    call_command("monitoring_plan", "--product", "anakinra", "--start", "2025-06-01", "--n-max", "40",
                 "--spending", "pocock", "--measures", "horizon_incidence", stdout=out)
    created = json.loads(out.getvalue())
    assert (created["n_max"], created["spending"], created["measures"]) == (40, "pocock", ["horizon_incidence"])
    growing_cohort(site)
    scheduled_json(LOOK_DATES[0])
    out = StringIO()
    call_command("monitoring_plan", "--product", "anakinra", "--show", stdout=out)
    assert [look["n"] for look in json.loads(out.getvalue())["looks"]] == [10]
    with pytest.raises(CommandError, match="already has 1 look"):
        call_command("monitoring_plan", "--product", "anakinra", "--start", "2025-06-01", "--n-max", "80",
                     stdout=StringIO())


@pytest.mark.parametrize("args, message", [
    (["--product", "nope", "--start", "2025-01-01", "--n-max", "5"], "Unknown product 'nope'"),
    (["--product", "anakinra", "--n-max", "5"], "--start and --n-max are required"),
    (["--product", "anakinra", "--start", "01/01/2025", "--n-max", "5"], "--start: '01/01/2025' is not a date"),
    (["--product", "anakinra", "--start", "2025-01-01", "--n-max", "0"], "--n-max must be at least 1"),
    (["--product", "anakinra", "--start", "2025-01-01", "--n-max", "5", "--alpha", "lots"], "--alpha must be a number"),
    (["--product", "anakinra", "--start", "2025-01-01", "--n-max", "5", "--alpha", "0.9"], "alpha:"),
    (["--product", "anakinra", "--start", "2025-01-01", "--n-max", "5", "--measures", "eaer"], "unknown eaer"),
    (["--product", "anakinra", "--show"], "has no monitoring plan"),
])
def test_the_plan_command_refuses_bad_input_naming_the_option(product, args, message):
    with pytest.raises(CommandError, match=message):
        call_command("monitoring_plan", *args, stdout=StringIO())


def test_a_plan_needs_a_profile_with_a_horizon_and_the_monitored_reference(product):
    label = product.reference_profiles.get(label="Kineret US Prescribing Information")  # no horizon, no share
    with pytest.raises(ValidationError) as excinfo:
        services.monitoring_plan_save(product=product, reference_profile=label, start_date=date(2025, 1, 1),
                                      max_cohort_patients=10)
    assert "no follow-up horizon" in str(excinfo.value.message_dict["reference_profile"])
    assert "no mild/moderate share" in str(excinfo.value.message_dict["monitor_horizon_mild_moderate_share"])
    assert not MonitoringPlan.objects.exists()


def test_scheduled_runs_refuse_filters(product):
    with pytest.raises(CommandError, match="--scheduled: a scheduled report covers all sites"):
        call_command("pv_aggregate", "--product", "anakinra", "--as-of", "2025-06-30", "--scheduled",
                     "--dose", "100", stdout=StringIO())


def test_the_downloads_carry_every_key_the_looks_and_the_profiles(client, site, product, plan):
    import csv
    import io

    from apps.cohort.profile import RESULT_KEYS

    growing_cohort(site)
    for as_of in LOOK_DATES[:2]:
        scheduled_json(as_of)
    report = product.aggregate_reports.get(as_of=LOOK_DATES[1], scheduled=True)
    client.force_login(UserFactory(username="ana", roles=["analyst"]))
    exported = json.loads(client.get(reverse("reports:download_json", args=[report.pk])).content)
    assert list(exported["results"]) == list(RESULT_KEYS)
    assert [look["n"] for look in exported["monitoring_looks"]["horizon_incidence"]] == [10, 20]
    assert exported["monitoring_signal"]["horizon_incidence"] == "none"
    assert [c["label"] for c in exported["profile_comparisons"]][0] == "Kineret RA overview"  # the primary first
    rows = list(csv.reader(io.StringIO(client.get(reverse("reports:download_csv", args=[report.pk])).content.decode())))
    keys = {(section, key) for section, key, *_ in rows}
    assert {("result", key) for key in RESULT_KEYS} <= keys
    assert ("monitoring_look", "horizon_incidence.2025-07-31.critical_value") in keys
    assert ("monitoring_signal", "horizon_mild_moderate_share") in keys
    assert any(section == "profile:Fleischmann 2006 extended treatment" for section, *_ in rows)
