"""Receive an E2B(R3) batch file from the command line: `import_e2b FILE.xml [--json] [--ack ACK.xml]`."""
import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from apps.e2b.inbox import e2b_import


def case_summary(case):
    parsed = case.parsed
    return {
        "case_id": case.case_id,
        "worldwide_id": case.worldwide_id,
        "sender": case.sender,
        "patient_sex": case.patient_sex,
        "reactions": [{"meddra_code": r["meddra_code"], "onset": r["onset"], "end": r["end"]}
                      for r in parsed["reactions"]],
        "drugs": [drug["name"] for drug in parsed["drugs"]],
    }


class Command(BaseCommand):
    help = "Validate an E2B(R3) batch against the ICH schemas, store its ICSRs for triage, write the acknowledgement."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--json", action="store_true", help="Print each ICSR's main fields as JSON.")
        parser.add_argument("--ack", type=Path, help="Write the MCCI_IN200101UV01 acknowledgement to this file.")

    def handle(self, *args, **options):
        path = options["file"]
        try:
            content = path.read_bytes()
        except OSError as error:
            raise CommandError(f"{path}: {error.strerror}") from error
        result = e2b_import(content=content, filename=path.name)
        if options["ack"]:
            options["ack"].write_text(result.batch.acknowledgement_xml, encoding="utf-8")
        if not result.accepted:
            raise CommandError("\n".join([f"{path}: refused, nothing stored but the refusal "
                                          f"(negative acknowledgement in batch {result.batch.pk}):"]
                                         + [f"{path}:{error}" for error in result.batch.errors]))
        if options["json"]:
            self.stdout.write(json.dumps([case_summary(case) for case in result.cases], indent=2))
        else:
            self.stdout.write(f"{path}: {len(result.cases)} ICSR(s) received for triage (batch {result.batch.pk}).")
