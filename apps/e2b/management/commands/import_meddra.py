"""Load a licensed user's MedDRA ASCII files (llt.asc, optionally pt.asc)."""
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from apps.e2b.meddra import meddra_import


class Command(BaseCommand):
    help = "Load MedDRA lowest level terms of one version from the folder holding llt.asc (replaces that version)."

    def add_arguments(self, parser):
        # Django reserves --version for its own version; this command means the MedDRA version.
        for container in (parser, parser._optionals):
            container.conflict_handler = "resolve"
        parser.add_argument("--version", dest="meddra_version", required=True, help="MedDRA version, e.g. 27.1")
        parser.add_argument("directory", help="The MedDRA 'ascii' folder holding llt.asc")

    def handle(self, *args, meddra_version, directory, **options):
        try:
            count = meddra_import(version=meddra_version, directory=directory)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        self.stdout.write(self.style.SUCCESS(f"Loaded {count} lowest level terms of MedDRA {meddra_version}."))
