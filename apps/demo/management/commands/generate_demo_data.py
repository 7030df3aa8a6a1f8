"""`manage.py generate_demo_data --patients N --seed S`: a synthetic anakinra cohort, in bulk."""
from django.core.management.base import BaseCommand, CommandError

from apps.demo.generator import DemoDataExists, generate_demo_data


class Command(BaseCommand):
    help = ("Create a realistic synthetic cohort (sites, patients, anakinra exposure periods, injection-site "
            "reactions) in bulk. Deterministic for a seed; no history rows are written for demo data.")

    def add_arguments(self, parser):
        parser.add_argument("--patients", type=int, required=True, help="Number of patients to create.")
        parser.add_argument("--seed", type=int, default=1, help="Random seed: the same seed gives the same cohort.")
        parser.add_argument("--sites", type=int, default=None,
                            help="Sites site-01..site-NN (created if missing); default min(10, max(2, N/100)).")
        parser.add_argument("--reactions-per-patient", type=float, default=10.0,
                            help="Mean reactions per patient over the whole cohort (default 10).")
        parser.add_argument("--if-empty", action="store_true",
                            help="Do nothing when the database already holds patients (for make run).")

    def handle(self, *args, patients, seed, sites, reactions_per_patient, if_empty, **options):
        try:
            result = generate_demo_data(patients=patients, seed=seed, sites=sites,
                                        reactions_per_patient=reactions_per_patient, if_empty=if_empty,
                                        stdout=self.stdout if options["verbosity"] > 1 else None)
        except (ValueError, DemoDataExists) as error:
            raise CommandError(str(error)) from error
        if result.skipped:
            self.stdout.write("The database already holds patients: no demo data added (--if-empty).")
            return
        self.stdout.write(self.style.SUCCESS(
            f"Created {result.patients:,} patients, {result.periods:,} exposure periods and "
            f"{result.reactions:,} reactions ({result.sites_created} new sites) in {result.seconds:.1f} s "
            f"({result.rows_per_second:,.0f} rows/s)."))
