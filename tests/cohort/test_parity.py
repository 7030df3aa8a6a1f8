"""One cohort, three readers: every figure that the summary tables, the dashboard and the aggregate report
all show is the same number, for all sites and for one site.

The cohort (tests/reports/cohort.py plus H) holds a voided patient (E), a patient whose only period was
voided but whose reaction stays (F: not counted anywhere, since a reaction counts only for an exposed
patient), a patient not yet exposed (G), a gap between two periods with a reaction in it and a late onset
(H), and two sites.
"""
from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from apps.core.models import today
from apps.reports import services
from tests.factories import ExposurePeriodFactory, PatientFactory, ReactionFactory
from tests.reports.cohort import build_cohort

pytestmark = pytest.mark.django_db


@pytest.fixture
def cohort(site, other_site, product):
    built = build_cohort(site, other_site)
    h = PatientFactory(site=other_site, patient_ref="P-H")
    ExposurePeriodFactory(patient=h, start_date=date(2025, 1, 1), end_date=date(2025, 3, 31))
    ExposurePeriodFactory(patient=h, start_date=date(2025, 6, 1), end_date=date(2025, 8, 31),
                          dose_mg_per_day=Decimal("200"))
    ReactionFactory(patient=h, reaction_ref="RH-gap", onset_date=date(2025, 4, 20), resolution_date=None,
                    outcome="not_recovered", severity="moderate")
    late = ReactionFactory(patient=h, reaction_ref="RH-late", onset_date=date(2025, 10, 15),
                           resolution_date=date(2025, 10, 30), severity="severe")
    late.full_clean()
    assert late.late_onset_flag
    return built


def summary_figures(client, user, **params):
    client.force_login(user)
    response = client.get(reverse("summaries:index"), {"as_of": today().isoformat(), **params})
    assert response.status_code == 200
    tables = {summary.slug: summary for summary, _ in response.context["summaries"]}

    def row(slug, label):
        return next(r for r in tables[slug].rows if r["label"] == label)

    incidence = row("incidence-by-site", "All")["incidence"]
    mild = row("severity", "Mild or moderate")["patients"]
    exposure = tables["exposure"]
    ongoing = row("duration", "Ongoing at the as-of date")["reactions"]
    return {
        "exposed_patients": incidence.n, "patients_with_isr": incidence.k, "isr_incidence": incidence.share,
        "isr_incidence_ci95": list(incidence.ci), "mild_moderate_patients": mild.k,
        "mild_moderate_share": mild.share, "mild_moderate_ci95": list(mild.ci),
        "isr_events": ongoing.n, "ongoing_reactions": ongoing.k, "resolved_reactions": ongoing.n - ongoing.k,
        "severity_counts": {level: row("severity", label)["reactions"].k
                            for level, label in (("mild", "Mild"), ("moderate", "Moderate"), ("severe", "Severe"))},
        "exposed_6_months": row("exposure", "Exposed ≥ 6 months")["patients"].k,
        "exposed_12_months": row("exposure", "Exposed ≥ 12 months")["patients"].k,
        "exposure_patient_years_note": exposure.notes[0],
    }


def dashboard_figures(client, user):
    client.force_login(user)
    figures = client.get(reverse("dashboard:home")).context["figures"]
    assert figures.source == "live"
    return figures.results


def report_figures(product, **kwargs):
    report = services.report_request(product=product, as_of=today(), queue=False, **kwargs)
    report = services.report_run(report_id=report.pk)
    assert report.status == "done", report.error
    return report


SHARED_WITH_DASHBOARD = ("exposed_patients", "patients_with_isr", "isr_incidence", "isr_incidence_ci95",
                         "mild_moderate_patients", "mild_moderate_share", "mild_moderate_ci95",
                         "resolved_reactions", "ongoing_reactions", "duration_days_median_km")


@pytest.mark.parametrize("one_site", [False, True], ids=["all sites", "site-01"])
def test_summaries_dashboard_and_report_show_the_same_figures(client, cohort, product, site, analyst, reporter,
                                                              one_site):
    summaries = summary_figures(client, analyst, **({"site": site.pk} if one_site else {}))
    dashboard = dashboard_figures(client, reporter if one_site else analyst)
    report = report_figures(product, **({"site": site} if one_site else {}))
    results = {**report.results, "mild_moderate_patients": report.details["mild_moderate_patients"],
               "severity_counts": report.details["severity_counts"]}

    for key, value in summaries.items():
        if key == "exposure_patient_years_note":
            assert value == f"Total exposure: {results['exposure_patient_years']:,.1f} patient-years."
        else:
            assert value == pytest.approx(results[key]), key
    for key in SHARED_WITH_DASHBOARD:
        assert dashboard[key] == pytest.approx(results[key]), key

    # The cohort is what the comments say: F's reaction (its only period voided) counts nowhere.
    # G's exposure (2026-07-15) has started by today; E is voided, F has no live period.
    exposed = {"A", "B", "C", "D", "G"} | (set() if one_site else {"I", "H"})
    assert results["exposed_patients"] == len(exposed)
    # A: R1, R2; B: R3, R4; D: R5, R6; G: RG; I: R7; H: the gap one (20 days after its first period ended,
    # inside the risk window W = 30). H's late one (45 days after its last period) is a late onset, counted
    # apart by every reader.
    assert results["isr_events"] == (7 if one_site else 9)
    assert results["late_onset_reactions"] == (0 if one_site else 1)
