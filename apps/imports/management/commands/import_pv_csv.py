"""Command-line front end of apps.imports.services.pv_csv_import."""
import argparse

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, DjangoHelpFormatter

from apps.imports.services import EXPOSURES, PATIENTS, REACTIONS, pv_csv_import

MAX_WARNINGS_SHOWN = 50


class HelpFormatter(DjangoHelpFormatter, argparse.RawDescriptionHelpFormatter):
    """Keep the line breaks of the description, which documents the file formats."""


class Command(BaseCommand):
    # The system checks import the whole URLconf (and with it scipy, reportlab, xhtml2pdf): seconds
    # before the first row. `manage.py check` runs them; the import needs none.
    requires_system_checks = []

    help = f"""Import patients, exposure periods and injection-site reactions from CSV files, all or nothing.

Files are UTF-8 (a byte-order mark is accepted), comma-separated, at most IMPORT_MAX_FILE_BYTES
(a setting) each, with a header line naming these columns (in any order):
  patients:  {",".join(PATIENTS.required)}
  exposures: {",".join(EXPOSURES.required)}
             optional column: site
  reactions: {",".join(REACTIONS.required)}
             optional columns: injection_site, diameter_mm, meddra_llt_code, site
Dates are ISO (YYYY-MM-DD); an empty end_date / resolution_date means ongoing. Codes are the
lower_snake_case codes of the application (sex female/male/other/unknown, route subcutaneous,
severity mild/moderate/severe, outcome recovered/.../fatal, ...); several symptoms or seriousness
criteria are separated by ';'. An empty route takes the product's route; an empty sex is unknown.

Patients: patient_ref is unique per site. In the exposures and reactions files, a patient_ref
known at one site only needs no site; when the same ref exists at several sites the row must
fill in the optional 'site' column, otherwise it is refused. Sites named in the patients file
are created if missing. Rows may refer to patients of the same run or already recorded.

Every row goes through the same validation as the forms. If any row is refused, nothing is
written and every problem is printed to stderr as FILE:LINE: field: reason (the header is
line 1); a row with unreadable cells (a bad date or number) is reported for those cells, and
the rules between fields are checked once the cells can be read. A reaction with the same patient, product and onset date as another reaction is a
probable duplicate and is refused unless --confirm-duplicates is given.

Re-importing is safe: patients match on (site, patient_ref), exposures on (patient, product,
start_date), reactions on reaction_ref; identical rows are left unchanged, differing ones are
updated through the same validation (reviewed reactions are locked and never changed). New
reactions are 'submitted'; updated ones keep their workflow status. Reaction columns absent
from the file (injection_site, diameter_mm, meddra_llt_code) keep their stored values.
History records every change with the reason "CSV import"."""

    def create_parser(self, prog_name, subcommand, **kwargs):
        kwargs["formatter_class"] = HelpFormatter
        return super().create_parser(prog_name, subcommand, **kwargs)

    def add_arguments(self, parser):
        parser.add_argument("--patients", metavar="FILE", help="Patients CSV file.")
        parser.add_argument("--exposures", metavar="FILE", help="Exposure periods CSV file.")
        parser.add_argument("--reactions", metavar="FILE", help="Injection-site reactions CSV file.")
        parser.add_argument("--dry-run", action="store_true", help="Validate everything, write nothing.")
        parser.add_argument("--confirm-duplicates", action="store_true",
                            help="Import reactions even when another has the same patient, product and onset date.")
        parser.add_argument("--user", metavar="USERNAME",
                            help="Record this user in history and as reporter of new reactions.")

    def handle(self, *args, patients=None, exposures=None, reactions=None, dry_run=False,
               confirm_duplicates=False, user=None, **options):
        if not (patients or exposures or reactions):
            raise CommandError("Give at least one of --patients, --exposures, --reactions.")
        actor = None
        if user:
            actor = get_user_model().objects.filter(username=user).first()
            if actor is None:
                raise CommandError(f"--user: no user named {user!r}.")
        result = pv_csv_import(patients=patients, exposures=exposures, reactions=reactions, dry_run=dry_run,
                               confirm_duplicates=confirm_duplicates, actor=actor)
        for warning in result.warnings[:MAX_WARNINGS_SHOWN]:
            self.stdout.write(f"{warning} (warning)")
        if len(result.warnings) > MAX_WARNINGS_SHOWN:
            self.stdout.write(f"... and {len(result.warnings) - MAX_WARNINGS_SHOWN} more warnings")
        if not result.ok:
            for problem in result.errors:
                self.stderr.write(str(problem))
            rows = len({(problem.file, problem.line) for problem in result.errors})
            raise CommandError(f"Import refused: {len(result.errors)} problem(s) in {rows} row(s) or file(s); "
                               "nothing was written.")
        for line in result.summary():
            self.stdout.write(line)
