"""Write one validated E2B(R3) batch file of the given reactions, or nothing at all."""
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from apps.e2b.services import ExportInvalid, ExportRefused, e2b_export
from apps.reactions.models import InjectionSiteReaction


class Command(BaseCommand):
    help = "Export reactions as one E2B(R3) ICSR batch (MCCI_IN200100UV01), validated against the ICH schemas."

    def add_arguments(self, parser):
        parser.add_argument("--reaction-ref", dest="refs", action="append", required=True, metavar="REF",
                            help="Reaction reference; repeat for a batch.")
        parser.add_argument("--out", required=True, help="The XML file to write.")

    def handle(self, *args, refs, out, **options):
        refs = list(dict.fromkeys(ref.strip() for ref in refs))
        found = {r.reaction_ref: r for r in InjectionSiteReaction.objects.filter(reaction_ref__in=refs)}
        unknown = [ref for ref in refs if ref not in found]
        if unknown:
            raise CommandError(f"--reaction-ref: No reaction with reference {', '.join(unknown)}; no file written.")
        out_path = Path(out)
        if not out_path.parent.is_dir():
            raise CommandError(f"--out: The folder {out_path.parent} does not exist; no file written.")
        if out_path.is_dir():
            raise CommandError(f"--out: {out_path} is a folder; give a file name. No file written.")
        tmp_path = out_path.with_name(out_path.name + ".part")
        try:
            # The export records are kept only if the file is written: a failed write leaves no "sent" version.
            with transaction.atomic():
                result = e2b_export(reactions=[found[ref] for ref in refs], actor=None)
                tmp_path.write_bytes(result.xml)
                tmp_path.replace(out_path)
        except OSError as exc:
            if tmp_path.is_file():
                tmp_path.unlink()
            raise CommandError(f"--out: cannot write {out_path}: {exc.strerror or exc}; no file written.") from None
        except ExportRefused as refused:
            lines = [f"  {ref or 'all reactions'}: {problem}" for ref, problems in refused.problems.items()
                     for problem in problems]
            raise CommandError("Export refused; no file written:\n" + "\n".join(lines)) from None
        except ExportInvalid as invalid:
            raise CommandError("The document does not validate against the E2B(R3) schemas; no file written:\n"
                               + "\n".join(f"  {error}" for error in invalid.errors)) from None
        for export in result.exports:
            self.stdout.write(f"{export.reaction.reaction_ref}: case {export.case_id} version {export.version_number}")
        self.stdout.write(self.style.SUCCESS(f"Wrote {len(result.exports)} ICSR(s) to {out_path}."))
