"""Bulk CSV import of patients, exposure periods and injection-site reactions.

Every row goes through the model's `full_clean()`, i.e. the rules the forms apply, with
the patient's exposure periods passed in (`known_siblings` / `known_exposures`) so that
validating a row needs no query (validation.RowChecker: the same checks, each field value
checked once). Files are streamed in batches: each batch costs a few preloading queries and
one bulk write with history rows (writing.ModelWriter: COPY on PostgreSQL). All batches run
inside one transaction, so later rows and files see earlier ones (an exposure's new
patient, an overlap with a period earlier in the same file), and the transaction is rolled
back if any row is refused or on a dry run: all or nothing.
"""
import copy
from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import DatabaseError, transaction
from django.db.models.base import ModelState
from django.utils import timezone

from apps.accounts.models import Site
from apps.core.policy import may_enter_data
from apps.core.fields import MultiChoiceField
from apps.core.maintenance import after_bulk_write, tables_of
from apps.e2b.models import meddra_code_problem
from apps.e2b.models import SenderOrganisation
from apps.exposures.models import ExposurePeriod
from apps.patients.models import Patient, Sex
from apps.products.models import Product
from apps.reactions.choices import Status
from apps.reactions.models import InjectionSiteReaction

from .parsing import CsvSource, FileSpec, Problem, RowValues
from .validation import RowChecker
from .writing import ModelWriter, text_values

CHANGE_REASON = "CSV import"
LOCKED_REFS_SHOWN = 3


def locked_message(refs, what):
    shown = ", ".join(sorted(refs)[:LOCKED_REFS_SHOWN]) + (" …" if len(refs) > LOCKED_REFS_SHOWN else "")
    return (f"{what} is reported by reviewed and locked case(s) {shown}; the import cannot change what a locked "
            "case reports (a reviewer changes it in the application, giving a reason)")


def locked_cases_by_patient(patient_ids):
    """patient id -> [(product id, onset, reaction ref)] of the reviewed (locked) cases: one query a batch."""
    found = defaultdict(list)
    for patient_id, product_id, onset, ref in (InjectionSiteReaction.objects.locked()
                                               .filter(patient_id__in=patient_ids)
                                               .values_list("patient_id", "product_id", "onset_date", "reaction_ref")):
        found[patient_id].append((product_id, onset, ref))
    return found
BATCH_SIZE = 2000

PATIENTS = FileSpec("patients", ("patient_ref", "site", "sex", "birth_year"))
EXPOSURES = FileSpec(
    "exposures",
    ("patient_ref", "product_code", "start_date", "end_date", "dose_mg_per_day", "route", "lot_number"),
    ("site",))
REACTION_OPTIONAL_FIELDS = ("injection_site", "diameter_mm", "meddra_llt_code")
REACTIONS = FileSpec(
    "reactions",
    ("reaction_ref", "patient_ref", "product_code", "onset_date", "resolution_date", "severity", "ctcae_grade",
     "symptoms", "seriousness", "outcome"),
    REACTION_OPTIONAL_FIELDS + ("site",))
SPECS = (PATIENTS, EXPOSURES, REACTIONS)

# Model validation errors are reported under the CSV column the user can fix.
COLUMN_OF_FIELD = {"patient": "patient_ref", "product": "product_code", NON_FIELD_ERRORS: "row"}


@dataclass
class FileCounts:
    name: str
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    flagged: int = 0


@dataclass
class ImportResult:
    """What the import did (or, on a dry run or a refusal, would have done)."""

    dry_run: bool = False
    files: dict = field(default_factory=dict)  # kind -> FileCounts, in import order
    sites_created: list = field(default_factory=list)
    errors: list = field(default_factory=list)  # Problem, sorted by file and line
    warnings: list = field(default_factory=list)  # Problem: rows imported but flagged

    @property
    def ok(self):
        return not self.errors

    @property
    def written(self):
        return self.ok and not self.dry_run

    def summary(self) -> list[str]:
        lines = []
        for counts in self.files.values():
            line = f"{counts.name}: {counts.created} created, {counts.updated} updated, {counts.unchanged} unchanged"
            if counts.flagged:
                line += f", {counts.flagged} flagged late onset"
            lines.append(line)
        if self.sites_created:
            lines.append(f"sites created: {', '.join(self.sites_created)}")
        if self.dry_run:
            lines.append("Dry run: everything was validated and nothing was written.")
        return lines


IMPORTED_MODELS = {"patients": Patient, "exposures": ExposurePeriod, "reactions": InjectionSiteReaction}


def pv_csv_import(*, patients=None, exposures=None, reactions=None, dry_run=False, confirm_duplicates=False,
                  actor=None, progress=None) -> ImportResult:
    """Import the given files (paths or open files) all or nothing; see ImportResult.errors for refusals.

    `actor`, if given, is recorded in history and as reporter of new reactions, and must be allowed to
    enter data; a site-bound actor can import only their own site's patients. `progress`, if given, is
    called after each batch with (rows checked, rows written so far in the transaction).
    """
    may_enter_data(actor).require()
    result = ImportResult(dry_run=dry_run)
    given = [(spec, source) for spec, source in zip(SPECS, (patients, exposures, reactions)) if source is not None]
    sources = [CsvSource(source, spec, max_bytes=settings.IMPORT_MAX_FILE_BYTES) for spec, source in given]
    try:
        for source in sources:
            result.errors.extend(source.check())
        if result.errors:
            return result  # no row is read while any file is unreadable or has a wrong header
        run = _Run(result=result, actor=actor, confirm_duplicates=confirm_duplicates, progress=progress)
        importers = {"patients": PatientImporter, "exposures": ExposureImporter, "reactions": ReactionImporter}
        try:
            with transaction.atomic():
                for source in sources:
                    importers[source.spec.kind](run, source).execute()
                if result.errors or dry_run:
                    transaction.set_rollback(True)
                else:  # fresh planner statistics and stored figures once the rows are committed
                    tables = tables_of(*(IMPORTED_MODELS[source.spec.kind] for source in sources))
                    transaction.on_commit(lambda: after_bulk_write(tables, sender=pv_csv_import))
        except DatabaseError as exc:  # e.g. a concurrent insert of the same reference
            result.errors.append(Problem("database", None, "write", f"refused the import, nothing was written: {exc}"))
    finally:
        for source in sources:
            source.close()
    order = {source.name: index for index, source in enumerate(sources)}
    result.errors.sort(key=lambda problem: (order.get(problem.file, len(order)), problem.line or 0))
    if not result.ok:
        result.sites_created = []
    return result


def _batched(iterable, size):
    batch = []
    for item in iterable:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


class _Run:
    """State shared by the files of one import: caches, the actor, refused patients."""

    def __init__(self, *, result, actor, confirm_duplicates, progress=None):
        self.result = result
        self.progress = progress
        self.rows_checked = 0
        self.actor = actor
        self.confirm_duplicates = confirm_duplicates
        self.now = timezone.now()
        self.products = {product.code: product for product in Product.objects.all()}
        self.sites = {}
        self.refused_patients = defaultdict(list)  # patient_ref -> [(site code, "file:line")]
        self.writers = {}

    # Sites and patients -------------------------------------------------------------------

    def sites_for(self, codes):
        """The sites with these codes, creating missing ones; invalid codes map to an error message."""
        missing = set(codes) - set(self.sites)
        if missing:
            self.sites.update({site.code: site for site in Site.objects.filter(code__in=missing)})
        for code in sorted(missing - set(self.sites)):
            site = Site(code=code)
            try:
                site.full_clean(validate_unique=False)
            except ValidationError as exc:
                self.sites[code] = " ".join(exc.message_dict.get("code", exc.messages))
                continue
            site.save()
            self.sites[code] = site
            self.result.sites_created.append(code)
        return {code: self.sites[code] for code in codes}

    def patients_by_ref(self, batch):
        refs = {values.get("patient_ref", "") for _, values in batch} - {""}
        by_ref = defaultdict(list)
        for patient in Patient.objects.filter(patient_ref__in=text_values(refs)).select_related("site"):
            by_ref[patient.patient_ref].append(patient)
        return by_ref

    def find_patient(self, row, by_ref):
        """The patient a row refers to: by patient_ref, and by site when the file has a site column."""
        ref = row.text("patient_ref", required=True)
        site_code = row.text("site")
        if not ref:
            return None
        candidates = by_ref.get(ref, [])
        if site_code:
            candidates = [patient for patient in candidates if patient.site.code == site_code]
        at = f" at site {site_code!r}" if site_code else ""
        if len(candidates) > 1:
            sites = ", ".join(sorted(patient.site.code for patient in candidates))
            row.error("site", f"patient {ref!r} exists at several sites ({sites}); "
                              "fill in the 'site' column to say which")
            return None
        if not candidates:
            refused = [where for code, where in self.refused_patients.get(ref, ()) if not site_code or code == site_code]
            if refused:
                row.error("patient_ref", f"patient {ref!r}{at} was refused ({refused[0]})")
            else:
                row.error("patient_ref", f"unknown patient {ref!r}{at}; add it to the patients file or enter it first")
            return None
        patient = candidates[0]
        if self.actor is not None and self.actor.site_id and patient.site_id != self.actor.site_id:
            row.error("patient_ref", f"patient {ref!r} belongs to another site than yours")
            return None
        if patient.is_voided:
            row.error("patient_ref", f"patient {ref!r}{at} is voided")
            return None
        return patient

    def find_product(self, row):
        code = row.text("product_code", required=True)
        if not code:
            return None
        product = self.products.get(code)
        if product is None:
            row.error("product_code", f"unknown product {code!r}; known: {', '.join(sorted(self.products))}")
        return product

    # Writing ------------------------------------------------------------------------------

    def write(self, model, created, updated, fields):
        """Bulk-write a batch with one history row per record, marked as coming from the import."""
        writer = self.writers.get(model)
        if writer is None:
            writer = self.writers[model] = ModelWriter(model, now=self.now, user=self.actor,
                                                       change_reason=CHANGE_REASON)
        writer.create(created)
        writer.update(updated, fields)


class _FileImporter:
    """Streams one file in batches; subclasses validate and write a batch."""

    def __init__(self, run: _Run, source: CsvSource):
        self.run = run
        self.source = source
        self.counts = run.result.files.setdefault(source.spec.kind, FileCounts(source.name))
        self.seen = {}  # the row key -> first line, to refuse a record given twice in the file
        # Relations are found by the importer (and reported under its own columns), not by full_clean().
        self.checker = RowChecker(self.MODEL, exclude=self.FOUND_RELATIONS)

    def execute(self):
        for batch in _batched(self.source.rows(self.run.result.errors), BATCH_SIZE):
            self.import_batch(batch)
            self.run.rows_checked += len(batch)
            if self.run.progress is not None:
                written = sum(c.created + c.updated for c in self.run.result.files.values())
                self.run.progress(self.run.rows_checked, 0 if self.run.result.errors else written)

    def import_batch(self, batch):
        raise NotImplementedError

    def where(self, line):
        return f"{self.source.name}:{line}"

    def check_once(self, row, key, field, what, line):
        first = self.seen.get(key)
        if first is not None:
            row.error(field, f"{what} appears twice in the file (first on line {first})")
        else:
            self.seen[key] = line

    def refuse(self, line, errors: dict):
        for field_name, messages in errors.items():
            for message in messages:
                self.run.result.errors.append(self.source.problem(line, field_name, message))

    def validate(self, line, instance):
        """Run the model's full_clean() but uniqueness, which the importer's own matching settles."""
        errors = self.checker.errors(instance)
        if errors:
            self.refuse(line, _messages_by_column(instance, ValidationError(errors)))
            return False
        return True

    def unchanged(self, instance, values):
        return all(_same(getattr(instance, name), value) for name, value in values.items())

    @staticmethod
    def changed_copy(instance, values):
        """An unsaved copy of a stored record with the file's values applied (the original stays as read)."""
        candidate = copy.copy(instance)
        for name, value in values.items():
            setattr(candidate, name, value)
        return candidate


class _Blank:
    """New unsaved instances cloned from one prototype: Model(**kwargs) costs more than a row's checks."""

    def __init__(self, model, **constants):
        self.prototype = model(**constants)
        self.callable_defaults = [(field.attname, field.get_default) for field in model._meta.concrete_fields
                                  if field.has_default() and callable(field.default)]

    def new(self, **values):
        """An instance as model(**constants, **values) would give, for plain (attname) values."""
        instance = self.prototype.__class__.__new__(self.prototype.__class__)
        instance.__dict__ = self.prototype.__dict__.copy()
        instance._state = ModelState()
        for attname, default in self.callable_defaults:
            instance.__dict__[attname] = default()
        instance.__dict__.update(values)
        return instance


def _same(current, new):
    if isinstance(current, list) or isinstance(new, list):
        return set(current or ()) == set(new or ())
    return current == new


def _messages_by_column(instance, exc):
    if not hasattr(exc, "error_dict"):
        return {"row": exc.messages}
    messages = {}
    for field_name, errors in exc.error_dict.items():
        column = COLUMN_OF_FIELD.get(field_name, field_name)
        for error in errors:
            text = " ".join(str(message) for message in error.messages)
            if error.code == "invalid_choice" and field_name != NON_FIELD_ERRORS:
                model_field = instance._meta.get_field(field_name)
                if not isinstance(model_field, MultiChoiceField):  # that one lists the codes itself
                    text += f" Allowed: {', '.join(str(code) for code, _ in model_field.flatchoices if code != '')}."
            messages.setdefault(column, []).append(text)
    return messages


class PatientImporter(_FileImporter):
    MODEL = Patient
    FOUND_RELATIONS = ("site",)
    FIELDS = ("sex", "birth_year")

    def __init__(self, run, source):
        super().__init__(run, source)
        self.blank = _Blank(Patient)

    def import_batch(self, batch):
        parsed = []
        for line, values in batch:
            row = RowValues(values)
            site_code = row.text("site", required=True)
            ref = row.text("patient_ref", required=True)
            data = {"sex": row.text("sex") or Sex.UNKNOWN, "birth_year": row.integer("birth_year")}
            if site_code and ref:
                self.check_once(row, (site_code, ref), "patient_ref", f"patient {ref!r} of site {site_code!r}", line)
            actor = self.run.actor
            if actor is not None and actor.site_id and site_code and site_code != actor.site.code:
                row.error("site", f"you can import patients of your own site ({actor.site.code}) only")
            parsed.append((line, row, site_code, ref, data))

        sites = self.run.sites_for({site_code for _, row, site_code, _, _ in parsed if not row.errors})
        site_ids = [site.pk for site in sites.values() if isinstance(site, Site)]
        refs = text_values({ref for *_, ref, _ in parsed})
        existing = {(patient.site_id, patient.patient_ref): patient for patient in
                    Patient.objects.filter(site_id__in=site_ids, patient_ref__in=refs)}
        locked = locked_cases_by_patient([patient.pk for patient in existing.values()])

        created, updated = [], []
        for line, row, site_code, ref, data in parsed:
            site = sites.get(site_code)
            if not row.errors and not isinstance(site, Site):
                row.error("site", f"{site_code!r} is not a valid site code: {site}")
            if row.errors:
                self._refused(line, row.errors, site_code, ref)
                continue
            current = existing.get((site.pk, ref))
            if current is not None and self.unchanged(current, data):
                self.counts.unchanged += 1
                continue
            if current is not None and current.is_voided:
                self._refused(line, {"patient_ref": [f"patient {ref!r} is voided; the import cannot change it"]},
                              site_code, ref)
                continue
            if current is not None and locked.get(current.pk):
                refs_locked = [case_ref for *_, case_ref in locked[current.pk]]
                self._refused(line, {"patient_ref": [locked_message(refs_locked, f"patient {ref!r}")]}, site_code, ref)
                continue
            if current is not None:
                candidate = self.changed_copy(current, data)
                candidate.version += 1
            else:
                candidate = self.blank.new(site_id=site.pk, patient_ref=ref, **data)
            if not self.validate(line, candidate):
                self.run.refused_patients[ref].append((site_code, self.where(line)))
                continue
            (updated if current is not None else created).append(candidate)
        self.run.write(Patient, created, updated, (*self.FIELDS, "version"))
        self.counts.created += len(created)
        self.counts.updated += len(updated)

    def _refused(self, line, errors, site_code, ref):
        self.refuse(line, errors)
        if ref:
            self.run.refused_patients[ref].append((site_code, self.where(line)))


class ExposureImporter(_FileImporter):
    MODEL = ExposurePeriod
    FOUND_RELATIONS = ("patient", "product")
    FIELDS = ("end_date", "dose_mg_per_day", "route", "lot_number")

    def __init__(self, run, source):
        super().__init__(run, source)
        self.blank = _Blank(ExposurePeriod)

    def import_batch(self, batch):
        by_ref = self.run.patients_by_ref(batch)
        parsed = []
        for line, values in batch:
            row = RowValues(values)
            patient = self.run.find_patient(row, by_ref)
            product = self.run.find_product(row)
            start = row.date("start_date", required=True)
            data = {
                "end_date": row.date("end_date"),
                "dose_mg_per_day": row.decimal("dose_mg_per_day", required=True),
                "route": row.text("route") or (product.route if product else ""),
                "lot_number": row.text("lot_number"),
            }
            if patient and product and start:
                self.check_once(row, (patient.pk, product.pk, start), "start_date",
                                f"the exposure of patient {patient.patient_ref!r} to {product.code} "
                                f"starting {start.isoformat()}", line)
            parsed.append((line, row, patient, product, start, data))

        groups = defaultdict(list)  # (patient id, product id) -> live periods, updated as rows are accepted
        patient_ids = {patient.pk for _, row, patient, *_ in parsed if patient is not None}
        for period in ExposurePeriod.objects.filter(patient_id__in=patient_ids, voided_at__isnull=True):
            groups[(period.patient_id, period.product_id)].append(period)
        locked = locked_cases_by_patient(patient_ids)

        created, updated = [], []
        for line, row, patient, product, start, data in parsed:
            if row.errors:
                self.refuse(line, row.errors)
                continue
            group = groups[(patient.pk, product.pk)]
            current = next((period for period in group if period.start_date == start), None)
            if current is not None and self.unchanged(current, data):
                self.counts.unchanged += 1
                continue
            # A period starting by a locked case's onset is part of what that case reports (see exposures.policies).
            refs_locked = [ref for product_id, onset, ref in locked.get(patient.pk, ())
                           if product_id == product.pk and onset >= start]
            if refs_locked:
                self.refuse(line, {"start_date": [locked_message(
                    refs_locked, f"the exposure of patient {patient.patient_ref!r} starting {start.isoformat()}")]})
                continue
            if current is not None:
                candidate = self.changed_copy(current, data)
                candidate.version += 1
            else:
                candidate = self.blank.new(patient_id=patient.pk, product_id=product.pk, start_date=start, **data)
            candidate.known_siblings = [period for period in group if period is not current]
            if not self.validate(line, candidate):
                continue
            if current is not None:
                group[group.index(current)] = candidate
                updated.append(candidate)
            else:
                group.append(candidate)
                created.append(candidate)
        self.run.write(ExposurePeriod, created, updated, (*self.FIELDS, "version"))
        self.counts.created += len(created)
        self.counts.updated += len(updated)


class ReactionImporter(_FileImporter):
    MODEL = InjectionSiteReaction
    FOUND_RELATIONS = ("patient", "product", "reporter")
    FIELDS = ("onset_date", "resolution_date", "severity", "ctcae_grade", "symptoms", "seriousness", "outcome")
    DERIVED_FIELDS = ("late_onset_flag", "duplicate_confirmed", "version")

    def __init__(self, run, source):
        super().__init__(run, source)
        present = tuple(name for name in REACTION_OPTIONAL_FIELDS if name in source.columns)
        if "meddra_llt_code" in present:
            # Codes are taken as of the MedDRA version the organisation uses (E2B settings).
            organisation = SenderOrganisation.current()
            self.meddra_version = organisation.meddra_version if organisation else ""
            self.meddra_problems = {}
            present += ("meddra_version",)
        self.update_fields = (*self.FIELDS, *present, *self.DERIVED_FIELDS)
        self.blank = _Blank(InjectionSiteReaction, status=Status.SUBMITTED, reporter=run.actor)

    def check_meddra(self, row, data):
        """Check a code against the loaded dictionary of the organisation's MedDRA version, once per code."""
        code = data["meddra_llt_code"]
        data["meddra_version"] = self.meddra_version if code else ""
        if not code or not self.meddra_version:
            return  # the model still checks that a code has 8 digits
        if code not in self.meddra_problems:
            self.meddra_problems[code] = meddra_code_problem(code, self.meddra_version)
        if self.meddra_problems[code]:
            row.error("meddra_llt_code", self.meddra_problems[code])

    def import_batch(self, batch):
        by_ref = self.run.patients_by_ref(batch)
        parsed = []
        for line, values in batch:
            row = RowValues(values)
            ref = row.text("reaction_ref", required=True)
            patient = self.run.find_patient(row, by_ref)
            product = self.run.find_product(row)
            data = {
                "onset_date": row.date("onset_date", required=True),
                "resolution_date": row.date("resolution_date"),
                "severity": row.text("severity"),
                "ctcae_grade": row.integer("ctcae_grade"),
                "symptoms": row.codes("symptoms"),
                "seriousness": row.codes("seriousness"),
                "outcome": row.text("outcome"),
            }
            # Optional columns: when the file has none, the stored values are kept.
            for name in REACTION_OPTIONAL_FIELDS:
                if row.has(name):
                    data[name] = row.integer(name) if name == "diameter_mm" else row.text(name)
            if data.get("meddra_llt_code") is not None:
                self.check_meddra(row, data)
            if ref:
                self.check_once(row, ref, "reaction_ref", f"reaction {ref!r}", line)
            parsed.append((line, row, ref, patient, product, data))

        accepted = [item for item in parsed if not item[1].errors]
        existing = {reaction.reaction_ref: reaction for reaction in
                    InjectionSiteReaction.objects.filter(reaction_ref__in=text_values({item[2] for item in accepted}))}
        patient_ids = {item[3].pk for item in accepted}
        exposures = defaultdict(list)
        for period in (ExposurePeriod.objects.filter(patient_id__in=patient_ids, voided_at__isnull=True)
                       .only("patient_id", "product_id", "start_date", "end_date")):
            exposures[(period.patient_id, period.product_id)].append(period)
        same_day = defaultdict(list)  # (patient, product, onset) -> refs of live reactions: the duplicate rule
        for ref, patient_id, product_id, onset in (
                InjectionSiteReaction.objects
                .filter(patient_id__in=patient_ids, voided_at__isnull=True)
                .values_list("reaction_ref", "patient_id", "product_id", "onset_date")):
            same_day[(patient_id, product_id, onset)].append(ref)

        created, updated = [], []
        for line, row, ref, patient, product, data in parsed:
            if row.errors:
                self.refuse(line, row.errors)
                continue
            current = existing.get(ref)
            if current is not None:
                problem = self._unchangeable(current, patient, product, data)
                if problem == "unchanged":
                    self.counts.unchanged += 1
                    continue
                if problem:
                    self.refuse(line, problem)
                    continue
                candidate = self.changed_copy(current, data)
                candidate.version += 1
            else:
                candidate = self.blank.new(reaction_ref=ref, patient_id=patient.pk, product_id=product.pk, **data)
            candidate.known_risk_window_days = product.risk_window_days
            candidate.known_exposures = exposures[(patient.pk, product.pk)]
            if not self.validate(line, candidate):
                continue
            key = (patient.pk, product.pk, candidate.onset_date)
            if current is None or current.onset_date != candidate.onset_date:
                if not self._check_duplicates(line, candidate, same_day[key]):
                    continue
                if current is not None:
                    previous = same_day[(patient.pk, product.pk, current.onset_date)]
                    if ref in previous:
                        previous.remove(ref)
                same_day[key].append(ref)
            if candidate.late_onset_flag:
                self.counts.flagged += 1
                self.run.result.warnings.append(self.source.problem(
                    line, "onset_date", f"onset more than {product.risk_window_days} days after the last exposure ended; "
                                        "imported and flagged for review"))
            (updated if current is not None else created).append(candidate)
        self.run.write(InjectionSiteReaction, created, updated, self.update_fields)
        self.counts.created += len(created)
        self.counts.updated += len(updated)

    def _unchangeable(self, current, patient, product, data):
        """'unchanged', or the errors that forbid changing this reaction, or None when it may be updated."""
        ref = current.reaction_ref
        if current.patient_id != patient.pk:
            return {"patient_ref": [f"reaction {ref!r} is recorded for another patient; "
                                    "an import cannot move it to another patient"]}
        if current.product_id != product.pk:
            return {"product_code": [f"reaction {ref!r} is recorded for another product; "
                                     "an import cannot change its product"]}
        if self.unchanged(current, data):
            return "unchanged"
        if current.is_locked:
            return {"reaction_ref": [f"reaction {ref!r} is reviewed and locked; the import cannot change it"]}
        if current.is_voided:
            return {"reaction_ref": [f"reaction {ref!r} is voided; the import cannot change it"]}
        return None

    def _check_duplicates(self, line, candidate, refs_same_day):
        """The rule of reactions.services.probable_duplicates: same patient, product and onset, another ref."""
        others = [ref for ref in refs_same_day if ref != candidate.reaction_ref]
        if others and not self.run.confirm_duplicates:
            self.refuse(line, {"onset_date": [
                f"probable duplicate of {', '.join(others[:5])} (same patient, product and onset date); "
                "check it, then import with --confirm-duplicates to keep both"]})
            return False
        candidate.duplicate_confirmed = bool(others)
        return True
