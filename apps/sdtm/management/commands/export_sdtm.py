"""`export_sdtm --out DIR [--filter NAME=VALUE ...]`: AE, EX and SUPPAE as SAS transport v5 files."""
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.http import QueryDict

from apps.sdtm.datasets import sdtm_datasets
from apps.sdtm.selectors import filtered_reactions
from apps.sdtm.xpt import write_xpt


class Command(BaseCommand):
    help = "Write the CDISC SDTM AE, EX and SUPPAE datasets of the reactions matching the listing's filters."

    def add_arguments(self, parser):
        parser.add_argument("--out", type=Path, required=True, help="Folder for ae.xpt, ex.xpt and suppae.xpt.")
        parser.add_argument("--filter", action="append", default=[], metavar="NAME=VALUE",
                            help="A filter of the reactions listing, e.g. serious=yes, product=1, "
                                 "onset_date_after=2025-01-01, site=2; repeat for several.")

    def handle(self, *args, **options):
        params = QueryDict(mutable=True)
        for item in options["filter"]:
            name, sep, value = item.partition("=")
            if not sep:
                raise CommandError(f"--filter {item}: give NAME=VALUE.")
            params.appendlist(name, value)
        reactions, flt = filtered_reactions(user=None, params=params)
        if reactions is None:
            raise CommandError("; ".join(f"--filter {name}: {' '.join(errors)}" for name, errors in flt.errors.items()))
        out = options["out"]
        out.mkdir(parents=True, exist_ok=True)
        for dataset in sdtm_datasets(reactions):
            write_xpt(dataset, out / f"{dataset.name.lower()}.xpt")
            self.stdout.write(f"{out / (dataset.name.lower() + '.xpt')}: {len(dataset.rows)} rows")
