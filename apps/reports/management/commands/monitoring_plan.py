"""Set up or show the sequential monitoring plan of a product against a reference profile."""
import json
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from apps.products.models import Product, ReferenceProfile
from apps.reports import services
from apps.reports.management.commands.pv_aggregate import iso_date
from apps.reports.models import MonitoredMeasure, MonitoringPlan, SpendingType


class Command(BaseCommand):
    help = ("Create or change (before its first look) the monitoring plan of a product against a reference profile "
            "(the primary one by default), or --show it with its looks as JSON.")

    def add_arguments(self, parser):
        parser.add_argument("--product", required=True, help="Product code, e.g. anakinra.")
        parser.add_argument("--reference", type=int, help="Reference profile id (default: the primary one).")
        parser.add_argument("--start", help="First as-of date that counts as a look, YYYY-MM-DD.")
        parser.add_argument("--n-max", type=int, help="Planned maximum horizon cohort.")
        parser.add_argument("--alpha", default="0.05", help="Overall two-sided alpha (default 0.05).")
        parser.add_argument("--spending", default=SpendingType.OBRIEN_FLEMING, choices=SpendingType.values)
        parser.add_argument("--measures", default=",".join(MonitoredMeasure.values),
                            help=f"Comma-separated, among {', '.join(MonitoredMeasure.values)} (default both).")
        parser.add_argument("--show", action="store_true", help="Print the plan and its looks as JSON.")

    def handle(self, *args, **options):
        product = Product.objects.filter(code=options["product"]).first()
        if product is None:
            raise CommandError(f"Unknown product {options['product']!r}.")
        profile = None
        if options["reference"]:
            profile = ReferenceProfile.objects.filter(pk=options["reference"], product=product).first()
            if profile is None:
                raise CommandError(f"--reference: no profile {options['reference']} of {product.code}.")
        if options["show"]:
            plan = MonitoringPlan.objects.filter(
                product=product, reference_profile=profile or product.current_reference_profile()).first()
            if plan is None:
                raise CommandError(f"{product.code} has no monitoring plan against that profile.")
            self.stdout.write(json.dumps(self._describe(plan)))
            return
        if not options["start"] or options["n_max"] is None:
            raise CommandError("--start and --n-max are required to set up a plan.")
        measures = {m.strip() for m in options["measures"].split(",") if m.strip()}
        unknown = measures - set(MonitoredMeasure.values)
        if unknown:
            raise CommandError(f"--measures: unknown {', '.join(sorted(unknown))}; "
                               f"choose among {', '.join(MonitoredMeasure.values)}.")
        try:
            alpha = Decimal(options["alpha"])
        except InvalidOperation:
            raise CommandError(f"--alpha must be a number, not {options['alpha']!r}.") from None
        if options["n_max"] < 1:
            raise CommandError("--n-max must be at least 1.")
        try:
            plan = services.monitoring_plan_save(
                product=product, reference_profile=profile, start_date=iso_date(options["start"], "--start"),
                max_cohort_patients=options["n_max"], alpha=alpha, spending=options["spending"],
                monitor_horizon_incidence=MonitoredMeasure.HORIZON_INCIDENCE in measures,
                monitor_horizon_mild_moderate_share=MonitoredMeasure.HORIZON_MILD_MODERATE_SHARE in measures)
        except ValidationError as exc:
            messages = (exc.message_dict.items() if hasattr(exc, "error_dict")
                        else [("plan", exc.messages)])
            raise CommandError("; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in messages)) from None
        self.stdout.write(json.dumps(self._describe(plan)))

    def _describe(self, plan):
        return {"id": plan.pk, "product": plan.product.code, "reference_profile_id": plan.reference_profile_id,
                "start_date": plan.start_date.isoformat(), "n_max": plan.max_cohort_patients,
                "alpha": float(plan.alpha), "spending": plan.spending, "measures": plan.measures,
                "looks": [look.as_json() | {"measure": look.measure} for look in plan.looks.order_by("measure", "as_of")]}
