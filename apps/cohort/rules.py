"""The counting rules: which exposure periods, patients and reactions every figure counts.

Each rule is one function with its definition beside it (`@defines`): the text the report
stores and shows is collected from the code it describes, so the two cannot drift apart.
The risk window is such a rule: `attributable`.

Where summaries and reports used to disagree, the cohort rule is: **a reaction counts only
for an exposed patient** (a live patient with a counted exposure period). A reaction whose
patient's only period was voided is therefore not counted anywhere (it used to count in the
summaries and not in the report). Exposure edits that would leave such a reaction are refused
(apps.exposures.services), so this only matters for data entered before that check.
"""
from django.db.models import Exists, OuterRef, Q, Subquery
from django.utils.translation import gettext_noop

from apps.exposures.models import ExposurePeriod
from apps.patients.models import Patient
from apps.reactions.models import InjectionSiteReaction

from .scope import Scope
from .sql import DayNumber

DAYS_PER_YEAR = 365.25
SIX_MONTHS_DAYS = 183
TWELVE_MONTHS_DAYS = 365

# (title, text) in the order the definitions were declared; the report stores a copy. The texts are English
# msgids (gettext_noop): the stored copy stays English, the report page shows them translated (gettext).
DEFINITIONS: list[tuple[str, str]] = []


def defines(title: str, text: str):
    """Record the definition of the rule (or measure) a function computes, beside its code."""
    DEFINITIONS.append((title, text))

    def decorate(function):
        function.definition = (title, text)
        return function
    return decorate


defines(gettext_noop("As of date D"),
        gettext_noop("Exposure is clipped to D (ongoing or later end counts as D); periods starting after D are "
                     "ignored. Days are inclusive: start and end both count."))


@defines(gettext_noop("Filters"),
         gettext_noop("Site, dose and exposure start range select exposure periods (a dose = periods at that dose; "
                      "the start range = periods starting within it). A reaction belongs to the patient's latest "
                      "period starting on or before its onset; with a dose or start-range filter only reactions "
                      "belonging to a selected period count."))
def counted_periods(scope: Scope):
    """Live exposure periods of live patients that the scope covers."""
    periods = ExposurePeriod.objects.filter(
        product_id=scope.product.pk, voided_at__isnull=True, patient__voided_at__isnull=True,
        start_date__lte=scope.as_of)
    if scope.site_id is not None:
        periods = periods.filter(patient__site_id=scope.site_id)
    if scope.dose_mg_per_day is not None:
        periods = periods.filter(dose_mg_per_day=scope.dose_mg_per_day)
    if scope.exposure_start_from is not None:
        periods = periods.filter(start_date__gte=scope.exposure_start_from)
    if scope.exposure_start_to is not None:
        periods = periods.filter(start_date__lte=scope.exposure_start_to)
    return periods.order_by()


# The texts name the constants literally (a msgid cannot be an f-string); the assert keeps them in step.
assert (SIX_MONTHS_DAYS, TWELVE_MONTHS_DAYS, DAYS_PER_YEAR) == (183, 365, 365.25)


@defines(gettext_noop("Exposed patients"),
         gettext_noop("Patients with a selected exposure period starting on or before D; 6 and 12 months mean at "
                      "least 183 and 365 cumulative exposure days."))
def exposed_patients(scope: Scope):
    return Patient.objects.filter(pk__in=counted_periods(scope).values("patient_id")).order_by()


defines(gettext_noop("Exposure (patient-years)"),
        gettext_noop("Sum of every patient's exposure days divided by 365.25."))


def _reactions_by_date(scope: Scope):
    """Live reactions of the product with onset by D and, when the scope narrows periods, the owning period
    selected: the reactions' own conditions before attribution."""
    reactions = InjectionSiteReaction.objects.filter(
        product_id=scope.product.pk, voided_at__isnull=True, onset_date__lte=scope.as_of)
    if scope.narrows_periods:
        owning_period = (ExposurePeriod.objects
                         .filter(patient_id=OuterRef("patient_id"), product_id=scope.product.pk,
                                 voided_at__isnull=True, start_date__lte=OuterRef("onset_date"))
                         .order_by("-start_date").values("id")[:1])
        reactions = reactions.alias(period_id=Subquery(owning_period)).filter(
            period_id__in=counted_periods(scope).values("id"))
    return reactions.order_by()


@defines(gettext_noop("Attributable reactions"),
         gettext_noop("A reaction is attributable when its onset (on or before D) lies inside one of the patient's "
                      "live exposure periods to the product or at most W days after such a period's end, W being "
                      "the product's risk window (default 30 days). Every figure but the late onsets counts only "
                      "attributable reactions."))
def attributable(scope: Scope):
    """The condition on a reaction queryset: a live period of the patient to the product covers the onset or
    ended at most W days before it."""
    covering = (ExposurePeriod.objects
                .filter(patient_id=OuterRef("patient_id"), product_id=scope.product.pk, voided_at__isnull=True,
                        start_date__lte=OuterRef("onset_date"))
                .alias(window_end_day=DayNumber("end_date") + scope.risk_window_days)
                .filter(Q(end_date__isnull=True) | Q(window_end_day__gte=DayNumber(OuterRef("onset_date")))))
    return Exists(covering)


def reactions_of_exposed(scope: Scope):
    """The counted reactions' own conditions, for use where the patient is already known to be exposed
    (a correlated sub-query per exposed patient, or a join from the exposed patients): product, live,
    onset by D, attributable and, when the scope narrows periods, the owning period selected."""
    return _reactions_by_date(scope).filter(attributable(scope))


@defines(gettext_noop("Reactions counted"),
         gettext_noop("The product's attributable injection-site reactions with onset on or before D, of exposed "
                      "patients, not voided (voided patients and exposure periods are excluded too), whatever "
                      "their workflow status. A reaction whose patient has no counted exposure period is not "
                      "counted."))
def counted_reactions(scope: Scope):
    return reactions_of_exposed(scope).filter(patient_id__in=counted_periods(scope).values("patient_id"))


@defines(gettext_noop("Late onsets"),
         gettext_noop("Reactions of exposed patients with onset on or before D more than W days after every "
                      "exposure period of the patient ended: counted apart (late_onset_reactions) and excluded "
                      "from every other figure."))
def late_onset_reactions(scope: Scope):
    return (_reactions_by_date(scope).filter(~attributable(scope))
            .filter(patient_id__in=counted_periods(scope).values("patient_id")))


def reactions_by_date(scope: Scope):
    """Counted reactions and late onsets together: what a report's data fingerprint reads."""
    return _reactions_by_date(scope).filter(patient_id__in=counted_periods(scope).values("patient_id"))
