"""The home page: key figures against the reference, the review queue and monthly onsets."""
from django.shortcuts import render
from django.utils.translation import gettext as _

from apps.core.policy import access, may_enter_data, may_review, may_run_reports, may_use
from apps.reactions.selectors import reporter_work
from apps.products.models import ReferenceProfile
from apps.summaries.cache import data_stamp
from apps.summaries.selectors import default_product

from . import charts, selectors


def _percent(value):
    return None if value is None else 100 * value


def figure_rows(figures, reference):
    """The three key figures, each with its observed value, interval, reference and verdict."""
    results, verdicts = figures.results, figures.verdicts
    incidence_ci = results.get("isr_incidence_ci95")
    mild_ci = results.get("mild_moderate_ci95")
    return [
        {"name": _("ISR incidence"), "observed": _percent(results.get("isr_incidence")), "unit": "%",
         "detail": _("%(k)s of %(n)s exposed patients") % {"k": results.get("patients_with_isr", 0),
                                                            "n": results.get("exposed_patients", 0)},
         "ci": incidence_ci and [_percent(v) for v in incidence_ci],
         "reference": _percent(results.get("reference_incidence")), "verdict": verdicts.get("isr_incidence"),
         "strip": charts.share_strip(results.get("isr_incidence"), incidence_ci, results.get("reference_incidence"))},
        {"name": _("Mild or moderate (patients with ISR)"), "observed": _percent(results.get("mild_moderate_share")),
         "unit": "%", "detail": _("patients whose reactions were all mild or moderate"),
         "ci": mild_ci and [_percent(v) for v in mild_ci],
         "reference": _percent(results.get("reference_mild_moderate_share")),
         "verdict": verdicts.get("mild_moderate_share"),
         "strip": charts.share_strip(results.get("mild_moderate_share"), mild_ci,
                                     results.get("reference_mild_moderate_share"))},
        {"name": _("Duration (Kaplan–Meier restricted mean to 365 d)"), "observed": results.get("duration_days_rmean_km"),
         "unit": " " + _("days"),
         "detail": _("%(resolved)s resolved, %(ongoing)s ongoing") % {"resolved": results.get("resolved_reactions", 0),
                                                                     "ongoing": results.get("ongoing_reactions", 0)},
         "ci": None, "reference_range": results.get("reference_duration_days"),
         "verdict": verdicts.get("duration_days_rmean_km"),
         "strip": charts.duration_strip(results.get("duration_days_rmean_km"), results.get("reference_duration_days"))},
    ]


@access(may_use)
def home(request):
    reference = (ReferenceProfile.objects.filter(is_primary=True).select_related("product")
                 .order_by("product__code").first())
    product = reference.product if reference is not None else default_product()
    reviewer, enters = bool(may_review(request.user)), bool(may_enter_data(request.user))
    context = {"product": product, "can_enter_data": enters, "is_reviewer": reviewer,
               # A reporter's own work; the review queue is for the reviewers who can act on it.
               "my_work": reporter_work(user=request.user) if enters and not reviewer else None}
    if product is not None:
        scope = selectors.user_scope(request.user, product)
        stamp = data_stamp()
        payload, snapshot = selectors.figures_payload(scope, reference, stamp)
        figures = selectors.key_figures(scope, payload, snapshot, stamp)
        awaiting, awaiting_count = selectors.review_queue(scope, stamp=stamp) if reviewer else ([], 0)
        scheduled = selectors.latest_scheduled_report(product) if may_run_reports(request.user) else None
        context.update(
            scope=scope, reference=reference, figures=figures, figure_rows=figure_rows(figures, reference),
            figures_report_url=selectors.report_url(figures.report),
            awaiting=awaiting, awaiting_count=awaiting_count,
            scheduled_report=scheduled, scheduled_report_url=selectors.report_url(scheduled),
            onsets=charts.monthly_bars(selectors.monthly_onset_series(scope, payload)),
        )
    return render(request, "dashboard/home.html", context)
