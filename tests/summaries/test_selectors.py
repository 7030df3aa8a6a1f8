from datetime import date

import pytest

from apps.cohort import queries
from apps.cohort.scope import Scope
from apps.cohort.statistics import clopper_pearson
from apps.summaries import selectors

from .conftest import AS_OF

pytestmark = pytest.mark.django_db


def cells(summary, column):
    return {row["label"]: (row[column].k, row[column].n) for row in summary.rows}


def test_incidence_by_site_counts_patients_with_a_counted_reaction(cohort, product):
    summary = selectors.summary("incidence-by-site", Scope(product=product, as_of=AS_OF))
    assert cells(summary, "incidence") == {"site-01": (3, 3), "site-02": (1, 2), "All": (4, 5)}


def test_incidence_cells_use_the_clopper_pearson_interval(cohort, product):
    summary = selectors.summary("incidence-by-site", Scope(product=product, as_of=AS_OF))
    total = summary.rows[-1]["incidence"]
    assert total.ci == clopper_pearson(4, 5)
    assert str(total) == "4 / 5 (80.0%, 95% CI 28.4–99.5)"


def test_incidence_by_month_groups_patients_by_their_first_exposure(cohort, product):
    summary = selectors.summary("incidence-by-month", Scope(product=product, as_of=AS_OF))
    assert cells(summary, "incidence") == {
        "2024-06": (0, 1), "2024-12": (1, 1), "2025-01": (2, 2), "2025-02": (1, 1), "All": (4, 5)}


def test_incidence_by_dose_uses_the_dose_of_the_first_period(cohort, product):
    summary = selectors.summary("incidence-by-dose", Scope(product=product, as_of=AS_OF))
    assert cells(summary, "incidence") == {"100": (3, 4), "200": (1, 1), "All": (4, 5)}


def test_the_total_row_shows_the_reference_incidence(cohort, product):
    reference = product.current_reference_profile()
    summary = selectors.summary("incidence-by-site", Scope(product=product, as_of=AS_OF), reference)
    assert summary.rows[-1]["reference"] == "64.4% (n = 1399)"


def test_severity_counts_reactions_and_patients_by_worst_severity(cohort, product):
    summary = selectors.summary("severity", Scope(product=product, as_of=AS_OF), product.current_reference_profile())
    assert cells(summary, "reactions") == {
        "Mild": (4, 6), "Moderate": (1, 6), "Severe": (1, 6), "Mild or moderate": (5, 6)}
    assert cells(summary, "patients") == {
        "Mild": (2, 4), "Moderate": (1, 4), "Severe": (1, 4), "Mild or moderate": (3, 4)}
    assert summary.rows[-1]["reference"] == "95.0% (n = 1333)"


def test_ctcae_grades_count_reactions_and_the_ungraded(cohort, product):
    summary = selectors.summary("ctcae-grade", Scope(product=product, as_of=AS_OF))
    assert cells(summary, "reactions") == {
        "Grade 1 (mild)": (3, 6), "Grade 2 (moderate)": (1, 6), "Grade 3 (severe)": (1, 6),
        "Grade 4 (life-threatening)": (0, 6), "Grade 5 (death)": (0, 6), "Not graded": (1, 6)}


def test_symptoms_count_each_code_of_the_multi_select(cohort, product):
    summary = selectors.summary("symptoms", Scope(product=product, as_of=AS_OF))
    assert cells(summary, "reactions") == {
        "Erythema": (4, 6), "Bruising": (1, 6), "Inflammation": (0, 6), "Pain": (1, 6), "Swelling": (1, 6),
        "Pruritus": (1, 6), "Other": (0, 6)}


def test_duration_bands_treat_a_resolution_after_the_as_of_date_as_ongoing(cohort, product):
    summary = selectors.summary("duration", Scope(product=product, as_of=AS_OF), product.current_reference_profile())
    assert cells(summary, "reactions") == {
        "< 14 days": (2, 6), "14–28 days": (1, 6), "> 28 days": (1, 6), "Ongoing at the as-of date": (2, 6)}
    assert summary.rows[1]["reference"] == "14–28 days (typical duration)"


def test_exposure_bands_sum_the_periods_up_to_the_as_of_date(cohort, product):
    summary = selectors.summary("exposure", Scope(product=product, as_of=AS_OF), product.current_reference_profile())
    assert cells(summary, "patients") == {
        "Patients exposed": (5, 5), "Exposed ≥ 6 months": (2, 5), "Exposed ≥ 12 months": (1, 5)}
    assert [row["reference"] for row in summary.rows] == ["2606", "1812 (69.5%)", "570 (21.9%)"]
    assert summary.notes[0] == f"Total exposure: {972 / 365.25:,.1f} patient-years."


def test_an_earlier_as_of_date_leaves_out_later_exposures_and_onsets(cohort, product):
    scope = Scope(product=product, as_of=date(2025, 1, 31))
    assert queries.incidence(scope) == queries.Incidence(None, exposed=4, with_isr=3)
    durations = cells(selectors.summary("duration", scope), "reactions")
    assert durations["Ongoing at the as-of date"] == (2, 3)  # R3, and R6 resolving on 14 February


def test_a_site_scope_counts_only_that_site(cohort, product, other_site):
    scope = Scope(product=product, as_of=AS_OF, site=other_site)
    assert cells(selectors.summary("incidence-by-site", scope), "incidence") == {"site-02": (1, 2), "All": (1, 2)}
    assert cells(selectors.summary("symptoms", scope), "reactions")["Erythema"] == (1, 1)
    assert cells(selectors.summary("exposure", scope), "patients") == {
        "Patients exposed": (2, 2), "Exposed ≥ 6 months": (1, 2), "Exposed ≥ 12 months": (1, 2)}


def test_the_duration_histogram_censors_ongoing_reactions_at_the_as_of_date(cohort, product):
    histogram = [tuple(group) for group in queries.duration_histogram(Scope(product=product, as_of=AS_OF))]
    # R2 5 d, R4 9 d, R1 16 d, R6 36 d resolved; R7 ongoing since 25 June (6 d), R3 since 20 January (162 d).
    assert histogram == [(5, True, 1), (6, False, 1), (9, True, 1), (16, True, 1), (36, True, 1), (162, False, 1)]


def test_an_empty_cohort_gives_zero_denominators(product):
    summary = selectors.summary("incidence-by-site", Scope(product=product, as_of=AS_OF))
    assert cells(summary, "incidence") == {"All": (0, 0)}
    assert summary.rows[-1]["incidence"].ci is None
