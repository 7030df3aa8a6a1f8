from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.core.models import today
from apps.dashboard import charts
from apps.dashboard.selectors import first_of_month
from apps.reports.models import AggregateReport
from tests.factories import ExposurePeriodFactory, PatientFactory, ReactionFactory

pytestmark = pytest.mark.django_db


def home(client, user):
    client.force_login(user)
    return client.get(reverse("dashboard:home"))


def test_it_requires_login(client):
    response = client.get(reverse("dashboard:home"))
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


@pytest.mark.parametrize("role", ["reporter", "reviewer", "analyst", "admin_user"])
def test_it_renders_for_each_role(client, cohort, request, role):
    response = home(client, request.getfixturevalue(role))
    assert response.status_code == 200
    content = response.content.decode()
    assert "Key figures against the reference" in content
    assert "<svg" in content


def test_live_key_figures_and_verdicts_match_the_cohort(client, analyst, cohort):
    # As of today: A, B, C, D, E and F are exposed; all but E had an ISR. B's worst ISR was severe.
    # Durations 5, 9, 11, 16, 16, 36 days and R3 still ongoing: the Kaplan–Meier median is 16 days.
    response = home(client, analyst)
    figures = response.context["figures"]
    assert figures.source == "live"
    assert (figures.results["patients_with_isr"], figures.results["exposed_patients"]) == (5, 6)
    assert figures.results["mild_moderate_patients"] == 4
    assert figures.results["duration_days_median_km"] == 16
    # R3 stays at risk past 365 days: R print(survfit(Surv(c(5, 9, 11, 16, 16, 36, 500), c(1, 1, 1, 1, 1, 1, 0))
    # ~ 1), rmean = 365) -> rmean 65.42857143, se 46.35570420; 65.4 − 1.96·46.4 < 28: consistent.
    assert figures.results["duration_days_rmean_km"] == pytest.approx(65.42857143, abs=1e-8)
    assert figures.results["duration_days_rmean_se"] == pytest.approx(46.35570420, abs=1e-8)
    assert figures.verdicts == {"basis": "crude", "isr_incidence": "consistent", "mild_moderate_share": "consistent",
                                "duration_days_rmean_km": "consistent"}


def test_a_lower_incidence_gets_a_lower_verdict(client, analyst, site, product):
    for number in range(40):
        patient = PatientFactory(site=site, patient_ref=f"N{number}")
        ExposurePeriodFactory(patient=patient)
    response = home(client, analyst)
    assert response.context["figures"].verdicts["isr_incidence"] == "lower"
    assert "Lower than reference" in response.content.decode()


def test_key_figures_come_from_the_latest_finished_report_of_the_scope(client, analyst, cohort, product):
    reference = product.current_reference_profile()
    results = {"isr_incidence": 0.5, "isr_incidence_ci95": [0.4, 0.6], "reference_incidence": 0.644,
               "patients_with_isr": 50, "exposed_patients": 100, "mild_moderate_share": 0.9,
               "mild_moderate_ci95": [0.8, 0.96], "reference_mild_moderate_share": 0.95,
               "duration_days_median_km": 20.0, "reference_duration_days": [14, 28],
               "resolved_reactions": 10, "ongoing_reactions": 1}
    report = AggregateReport.objects.create(
        product=product, as_of=date(2025, 12, 31), reference_profile=reference, params_key="k", status="done",
        results=results, details={"verdicts": {"isr_incidence": "lower", "mild_moderate_share": "consistent",
                                               "duration_days_median_km": "consistent"}},
        finished_at=timezone.now(), scheduled=True)
    response = home(client, analyst)
    figures = response.context["figures"]
    assert figures.source == "report" and figures.report == report
    assert figures.verdicts["isr_incidence"] == "lower"
    content = response.content.decode()
    assert f"From aggregate report #{report.pk}" in content
    assert f"Report #{report.pk}" in content  # the latest scheduled report


def test_a_site_report_is_not_used_for_all_sites(client, analyst, cohort, product, site):
    AggregateReport.objects.create(
        product=product, as_of=date(2025, 12, 31), site=site, reference_profile=product.current_reference_profile(),
        params_key="s", status="done", results={"isr_incidence": 0.1}, finished_at=timezone.now())
    assert home(client, analyst).context["figures"].source == "live"


def test_the_review_queue_holds_submitted_reactions_of_the_users_site(client, reporter, other_reporter, reviewer,
                                                                      cohort):
    # Submitted and live: R1, R3, R7 (site-01) and R8 (site-02); R5 is voided, R9's patient is voided.
    assert [r.reaction_ref for r in home(client, reviewer).context["awaiting"]] == ["R1", "R3", "R7", "R8"]
    # Reporters cannot act on the review queue: their dashboard shows their own work instead.
    for user in (reporter, other_reporter):
        response = home(client, user)
        assert response.context["awaiting"] == [] and "Awaiting review" not in response.content.decode()
    response = home(client, other_reporter)
    assert response.context["figures"].results["exposed_patients"] == 3  # D, E, F only
    assert "R1</a>" not in response.content.decode()


def test_reporters_do_not_see_the_scheduled_report_box(client, reporter, cohort):
    assert "Latest scheduled report" not in home(client, reporter).content.decode()


def test_the_onset_chart_covers_the_last_twelve_months(client, analyst, site, product):
    patient = PatientFactory(site=site)
    start = first_of_month(today(), 2)
    ExposurePeriodFactory(patient=patient, start_date=start)
    for offset in range(3):
        ReactionFactory(patient=patient, onset_date=start + timedelta(days=offset), resolution_date=None,
                        outcome="not_recovered")
    bars = home(client, analyst).context["onsets"]["bars"]
    assert len(bars) == 12
    assert [bar.value for bar in bars][-3:] == [3, 0, 0]
    assert bars[-3].height == charts.BAR_AREA_BOTTOM - charts.BAR_AREA_TOP
    assert "No reaction onsets in the last 12 months" not in home(client, analyst).content.decode()


def test_it_renders_without_any_data(client, analyst):
    response = home(client, analyst)
    assert response.status_code == 200
    assert "Not enough data" in response.content.decode()
    assert "No reaction onsets in the last 12 months" in response.content.decode()


@pytest.mark.parametrize("stored", [False, True], ids=["from the rows", "stored figures"])
def test_the_number_of_queries_does_not_grow_with_the_data(client, admin_user, site, product,
                                                           django_assert_max_num_queries, stored):
    """As a superuser: at most 12 queries, counted from the rows or read from the stored figures."""
    from apps.summaries.snapshots import refresh_figures

    client.force_login(admin_user)
    for size in (2, 25):
        for number in range(size):
            patient = PatientFactory(site=site)
            ExposurePeriodFactory(patient=patient, dose_mg_per_day=Decimal("100"))
            ReactionFactory(patient=patient, onset_date=date(2025, 1, 2 + number % 20))
        if stored:
            refresh_figures()
        with django_assert_max_num_queries(11 if stored else 12):
            assert client.get(reverse("dashboard:home")).status_code == 200
