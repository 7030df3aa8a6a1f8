"""Compute (or queue) the aggregate ISR report of a product, through the same service as the pages."""
import json
from datetime import date
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from apps.accounts.models import Site
from apps.products.models import Product, ReferenceProfile
from apps.cohort.profile import RESULT_KEYS, isr_profile
from apps.reports import selectors, services
from apps.reports.models import ReportStatus


def iso_date(value, option):
    """The date of `option`; a bad value is refused naming the option, since several take dates."""
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"{option}: {value!r} is not a date in YYYY-MM-DD form.") from None


class Command(BaseCommand):
    help = ("Aggregate ISR profile of a product as of a date against its reference profile. "
            "--json prints one JSON object; --queue records the request and queues the Celery task instead.")

    def add_arguments(self, parser):
        parser.add_argument("--product", required=True, help="Product code, e.g. anakinra.")
        parser.add_argument("--as-of", required=True, type=str, help="As-of date, YYYY-MM-DD.")
        parser.add_argument("--site", help="Site code (default: all sites).")
        parser.add_argument("--dose", help="Only exposure periods at this dose (mg/day).")
        parser.add_argument("--exposure-start-from", help="Only exposure periods starting on or after this date.")
        parser.add_argument("--exposure-start-to", help="Only exposure periods starting on or before this date.")
        parser.add_argument("--reference", type=int, help="Reference profile id (default: the product's current one).")
        parser.add_argument("--json", action="store_true", help="Print the results as one JSON object.")
        parser.add_argument("--queue", action="store_true", help="Record the request and queue it for a worker.")
        parser.add_argument("--scheduled", action="store_true",
                            help="Count as the scheduled report (a look of the monitoring plan, alerts), exactly "
                                 "as beat's monthly run; all sites and no filters.")

    def handle(self, *args, **options):
        product = Product.objects.filter(code=options["product"]).first()
        if product is None:
            known = ", ".join(Product.objects.values_list("code", flat=True)) or "none"
            raise CommandError(f"Unknown product {options['product']!r}; known products: {known}.")
        kwargs = {"product": product, "as_of": iso_date(options["as_of"], "--as-of")}
        if options["site"]:
            kwargs["site"] = Site.objects.filter(code=options["site"]).first()
            if kwargs["site"] is None:
                raise CommandError(f"Unknown site {options['site']!r}.")
        if options["dose"]:
            try:
                kwargs["dose_mg_per_day"] = Decimal(options["dose"])
            except InvalidOperation:
                raise CommandError(f"--dose must be a number of mg/day, not {options['dose']!r}.") from None
        if options["exposure_start_from"]:
            kwargs["exposure_start_from"] = iso_date(options["exposure_start_from"], "--exposure-start-from")
        if options["exposure_start_to"]:
            kwargs["exposure_start_to"] = iso_date(options["exposure_start_to"], "--exposure-start-to")
        if options["reference"]:
            kwargs["reference_profile"] = ReferenceProfile.objects.filter(pk=options["reference"]).first()
            if kwargs["reference_profile"] is None:
                raise CommandError(f"Unknown reference profile id {options['reference']}.")
        if options["scheduled"] and set(kwargs) - {"product", "as_of"}:
            raise CommandError("--scheduled: a scheduled report covers all sites against the primary profile; "
                               "drop --site, --dose, --exposure-start-from/-to and --reference.")
        try:
            report = services.report_request(queue=options["queue"], scheduled=options["scheduled"], **kwargs)
        except ValidationError as exc:
            raise CommandError("; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in exc.message_dict.items()))
        if options["queue"]:
            self._print({"report_id": report.pk, "status": report.status}, options["json"])
            return
        if report.status == ReportStatus.QUEUED:
            report = services.report_run(report_id=report.pk)
        if report.status == ReportStatus.DUPLICATE:
            report = report.same_as
        if report.status == ReportStatus.FAILED:
            raise CommandError(f"Report #{report.pk} failed: {report.error}")
        if report.status == ReportStatus.DONE:
            results = {key: report.results[key] for key in RESULT_KEYS}  # jsonb does not keep key order
        else:  # another worker is computing the same request right now: compute without storing
            results, _, _ = isr_profile(services.report_scope(report), report.reference_profile)
        self._print({**results, **selectors.monitoring_of(report)}, options["json"])

    def _print(self, data, as_json):
        if as_json:
            self.stdout.write(json.dumps(data))
        else:
            width = max(len(key) for key in data)
            for key, value in data.items():
                self.stdout.write(f"{key.ljust(width)}  {value}")
