"""A realistic synthetic anakinra cohort, generated deterministically and written in bulk.

`cohort_chunks()` is pure: for a seed and a "today" it yields the same rows every time
(one random stream, consumed in patient order). `generate_demo_data()` writes them with
the fastest path of the backend: COPY on PostgreSQL, executemany of plain tuples elsewhere.
Rows are built to pass every model rule (full_clean); no simple-history rows are written
for demo data (history records edits by people, and 1M "created" rows would only double
the database).

Shape of the cohort, close to the anakinra RA reference (the Kineret overview):
- patients spread unevenly over sites site-01..site-NN, 70% female, born 1940–2000;
- 1–4 exposure periods each: a dose change starts the next period the day after, a stop
  leaves a gap of 2–17 weeks; the last period is ongoing for about 60% of patients;
- about 64% of patients have ISRs, about 80% of their reactions in the first month;
- durations mostly 14–28 days, about 12% shorter, 10% longer, some still ongoing;
- about 5% of patients with ISR have severe ones (the reference's 95% mild or moderate);
  a few severe reactions are serious (hospitalisation or medically important, never fatal);
- old reactions are mostly reviewed, recent ones are often drafts or submitted.
"""
import random
import time
from bisect import bisect
from itertools import accumulate
from dataclasses import dataclass, field
from datetime import date, datetime, time as dtime, timedelta
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone

from apps.accounts.models import Site, User
from apps.core.fields import DELIMITER
from apps.core.maintenance import after_bulk_write, tables_of
from apps.core.models import today as local_today
from apps.exposures.models import ExposurePeriod
from apps.patients.models import Patient
from apps.products.models import Product
from apps.reactions.choices import (ActionTaken, Causality, InjectionSite, Outcome, ReporterQualification,
                                    Seriousness, Severity, Status, Symptom)
from apps.reactions.models import InjectionSiteReaction

REFERENCE_INCIDENCE = 0.644
FIRST_MONTH_SHARE = 0.8
SEVERE_PATIENT_SHARE = 0.05
CHUNK_PATIENTS = 5000
INJECTION_SITE_REACTION_LLT = "10022095"  # MedDRA "Injection site reaction"
MEDDRA_VERSION = "27.1"
# Sites report a reaction this many days after its onset (day zero of its regulatory clock).
RECEIVED_AFTER_ONSET_DAYS = 2

# In the order of Symptom's choices, which is how the field stores them.
SYMPTOM_CHANCES = tuple((code.value, chance) for code, chance in (
    (Symptom.ERYTHEMA, 0.85), (Symptom.BRUISING, 0.15), (Symptom.INFLAMMATION, 0.2), (Symptom.PAIN, 0.45),
    (Symptom.SWELLING, 0.35), (Symptom.PRURITUS, 0.25), (Symptom.OTHER, 0.03)))
INJECTION_SITES = [site.value for site in InjectionSite if site != InjectionSite.OTHER]
DOSES = (Decimal("100"), Decimal("200"), Decimal("50"))
DIAMETER_MM = {Severity.MILD: (10, 50), Severity.MODERATE: (30, 80), Severity.SEVERE: (60, 150)}

PATIENT_FIELDS = ("site", "patient_ref", "sex", "birth_year", "voided_at", "voided_by", "void_reason",
                  "created_at", "updated_at")
PERIOD_FIELDS = ("patient", "product", "start_date", "end_date", "dose_mg_per_day", "route", "lot_number",
                 "voided_at", "voided_by", "void_reason", "created_at", "updated_at")
REACTION_FIELDS = (
    "reaction_ref", "patient", "product", "onset_date", "resolution_date", "severity", "ctcae_grade", "symptoms",
    "seriousness", "outcome", "action_taken", "causality", "injection_site", "diameter_mm", "reporter",
    "reporter_qualification", "meddra_llt_code", "meddra_version", "narrative", "received_date",
    "latest_information_date", "status", "reviewed_by",
    "reviewed_at", "late_onset_flag", "duplicate_confirmed", "version", "voided_at", "voided_by", "void_reason",
    "created_at", "updated_at",
)


def _defaulted_fields(model, names):
    """The columns the generator leaves to their defaults; fail loudly if one of them has none.

    A column added later (a follow-up counter, a receipt date) is written with its model default,
    so the generator only needs to change when a new column must be filled in per row."""
    columns = [f for f in model._meta.concrete_fields if not f.primary_key]
    unknown = sorted(set(names) - {f.name for f in columns})
    rest = [f for f in columns if f.name not in names]
    undefaulted = [f.name for f in rest if not f.has_default() and not f.null]
    if unknown or undefaulted:
        raise RuntimeError(f"generate_demo_data is out of date for {model.__name__}: "
                           f"missing {undefaulted}, unknown {unknown}")
    return rest


@dataclass
class Chunk:
    """Rows for a run of patients. Patient rows are dicts; others refer to patients by index."""

    patients: list = field(default_factory=list)   # (index, site_code, patient_ref, sex, birth_year)
    periods: list = field(default_factory=list)    # (patient_index, start, end, dose, lot_number)
    reactions: list = field(default_factory=list)  # (patient_index, reaction fields...) see _reaction()


class Weighted:
    """A weighted pick with one random() call: random.choices is the generator's hot spot."""

    def __init__(self, items, weights):
        self.items = tuple(items)
        self.cumulative = list(accumulate(weights))
        self.total = self.cumulative[-1]

    def pick(self, rng):
        return self.items[bisect(self.cumulative, rng.random() * self.total)]


STATUS_OLD = Weighted((Status.REVIEWED, Status.SUBMITTED, Status.DRAFT), (70, 25, 5))
STATUS_RECENT = Weighted((Status.REVIEWED, Status.SUBMITTED, Status.DRAFT), (20, 50, 30))
CAUSALITY = Weighted((Causality.PROBABLE, Causality.POSSIBLE, Causality.CERTAIN, Causality.UNLIKELY), (50, 35, 10, 5))
QUALIFICATION = Weighted((ReporterQualification.PHYSICIAN, ReporterQualification.OTHER_HEALTH_PROFESSIONAL,
                          ReporterQualification.PHARMACIST, ReporterQualification.CONSUMER), (40, 40, 10, 10))
SEVERE_ACTION = Weighted((ActionTaken.WITHDRAWN, ActionTaken.DOSE_REDUCED, ActionTaken.UNCHANGED), (30, 20, 50))
SEX = Weighted(("female", "male", "unknown"), (70, 28, 2))
PERIOD_COUNT = Weighted((1, 2, 3, 4), (55, 30, 12, 3))
FIRST_DOSE = Weighted(DOSES, (85, 10, 5))


def _randint(rng, low, high):
    """Like rng.randint(low, high), at a third of the cost."""
    return low + int(rng.random() * (high - low + 1))


def site_codes(count):
    return [f"site-{number:02d}" for number in range(1, count + 1)]


def _multi(codes):
    return DELIMITER + DELIMITER.join(codes) + DELIMITER if codes else ""


class _Patient:
    """One patient's exposure timeline, to draw onsets inside it."""

    def __init__(self, periods, today):
        self.periods = periods  # [(start, end or None)]
        self.today = today

    def covers(self, day):
        return day <= self.today and any(start <= day and (end is None or day <= end) for start, end in self.periods)

    @property
    def first_start(self):
        return self.periods[0][0]

    @property
    def last_day(self):
        end = self.periods[-1][1]
        return self.today if end is None else end


def _periods(rng, today):
    """1–4 non-overlapping periods: dose changes start the next day, stops leave a gap."""
    start = today - timedelta(days=_randint(rng, 30, 5 * 365))
    count = PERIOD_COUNT.pick(rng)
    dose = FIRST_DOSE.pick(rng)
    periods = []
    for number in range(count):
        last = number == count - 1
        if last and rng.random() < 0.6:
            end = None
        else:
            end = min(start + timedelta(days=_randint(rng, 30, 540)), today - timedelta(days=1))
        periods.append((start, end, dose))
        if end is None or end >= today - timedelta(days=2) or last:
            break
        if rng.random() < 0.5:  # dose change: a new period the next day
            start = end + timedelta(days=1)
            dose = rng.choice([d for d in DOSES if d != dose])
        else:  # stopped, then restarted
            start = end + timedelta(days=_randint(rng, 14, 120))
            if start > today - timedelta(days=1):
                break
    return periods


def _onsets(rng, patient, count):
    """Distinct onset days inside the exposure, most in the first month."""
    days = set()
    span = (patient.last_day - patient.first_start).days
    attempts = 0
    while len(days) < count and attempts < count * 20:
        attempts += 1
        if rng.random() < FIRST_MONTH_SHARE or span < 30:
            offset = _randint(rng, 0, min(29, span))
        else:
            offset = _randint(rng, 30, span)
        day = patient.first_start + timedelta(days=offset)
        if patient.covers(day):
            days.add(day)
    return sorted(days)


def _symptoms(rng):
    codes = [code for code, chance in SYMPTOM_CHANCES if rng.random() < chance]
    return codes or [Symptom.ERYTHEMA.value]


def _status(rng, onset, today):
    return (STATUS_OLD if (today - onset).days > 90 else STATUS_RECENT).pick(rng)


def _reaction(rng, onset, severe_prone, today):
    """The clinical fields of one reaction, consistent with the model's rules."""
    if severe_prone and rng.random() < 0.3:
        severity = Severity.SEVERE
    else:
        severity = Severity.MILD if rng.random() < 0.75 else Severity.MODERATE
    grade = None if rng.random() < 0.1 else {Severity.MILD: 1, Severity.MODERATE: 2, Severity.SEVERE: 3}[severity]
    band = rng.random()
    if band < 0.03:
        days = None  # still ongoing however long ago it started
    elif band < 0.15:
        days = _randint(rng, 3, 13)
    elif band < 0.9:
        days = _randint(rng, 14, 28)
    else:
        days = _randint(rng, 29, 60)
    resolution = None if days is None else onset + timedelta(days=days - 1)
    if resolution is not None and resolution > today:
        resolution = None
    if resolution is None:
        outcome = Outcome.NOT_RECOVERED if rng.random() < 0.5 else Outcome.RECOVERING
    else:
        outcome = Outcome.RECOVERED_WITH_SEQUELAE if rng.random() < 0.03 else Outcome.RECOVERED
    seriousness = []
    if severity == Severity.SEVERE and rng.random() < 0.1:
        seriousness = [Seriousness.HOSPITALISATION.value if rng.random() < 0.3
                       else Seriousness.OTHER_MEDICALLY_IMPORTANT.value]
    if severity == Severity.SEVERE:
        action = SEVERE_ACTION.pick(rng)
    else:
        action = ActionTaken.UNCHANGED if rng.random() < 0.9 else ActionTaken.UNKNOWN
    diameter = None
    if rng.random() < 0.8:
        diameter = _randint(rng, *DIAMETER_MM[severity])
    return severity, grade, resolution, outcome, seriousness, action, diameter


def cohort_chunks(*, patients, seed, sites, today, reactions_per_patient=10.0, chunk_size=CHUNK_PATIENTS):
    """Yield Chunks of rows; the same arguments give the same rows, whatever the chunk size."""
    rng = random.Random(seed)
    site_pick = Weighted(site_codes(sites), [1 / (number + 1) ** 0.5 for number in range(sites)])
    # Mean reactions per patient with ISR, so that the whole cohort averages reactions_per_patient.
    per_isr_patient = max(1.0, reactions_per_patient / REFERENCE_INCIDENCE)
    chunk = Chunk()
    reaction_number = 0
    for index in range(patients):
        site = site_pick.pick(rng)
        sex = SEX.pick(rng)
        birth_year = min(2000, max(1940, int(rng.gauss(1965, 12))))
        chunk.patients.append((index, site, f"D{seed}-{index + 1:06d}", sex, birth_year))
        periods = _periods(rng, today)
        lot = f"LOT-{_randint(rng, 1000, 9999)}"
        for start, end, dose in periods:
            chunk.periods.append((index, start, end, dose, lot))
        timeline = _Patient([(start, end) for start, end, _ in periods], today)
        if rng.random() < REFERENCE_INCIDENCE:
            count = 1 + int(rng.expovariate(1 / (per_isr_patient - 1))) if per_isr_patient > 1 else 1
            severe_prone = rng.random() < SEVERE_PATIENT_SHARE
            onsets = _onsets(rng, timeline, count)
            if severe_prone and onsets:
                severe_at = rng.randrange(len(onsets))
            for position, onset in enumerate(onsets):
                reaction_number += 1
                severity, grade, resolution, outcome, seriousness, action, diameter = _reaction(
                    rng, onset, severe_prone, today)
                if severe_prone and position == severe_at:
                    severity, grade = Severity.SEVERE, (None if grade is None else 3)
                status = _status(rng, onset, today)
                causality = ""
                if status == Status.REVIEWED:
                    causality = CAUSALITY.pick(rng)
                qualification = QUALIFICATION.pick(rng)
                chunk.reactions.append((
                    index, f"DEMO{seed}-{reaction_number:07d}", onset, resolution, str(severity), grade,
                    _symptoms(rng), seriousness, str(outcome), str(action), str(causality),
                    rng.choice(INJECTION_SITES), diameter, str(qualification), str(status)))
        if len(chunk.patients) >= chunk_size:
            yield chunk
            chunk = Chunk()
    if chunk.patients:
        yield chunk


# --- Writing -------------------------------------------------------------------------------------

def _table_insert(model, names, rows):
    """Insert plain tuples (other columns get their defaults): COPY on PostgreSQL, executemany
    elsewhere. Returns the row count."""
    defaulted = _defaulted_fields(model, names)
    defaults = tuple(f.get_db_prep_save(f.get_default(), connection) for f in defaulted)
    fields = [model._meta.get_field(name) for name in names] + defaulted
    table = connection.ops.quote_name(model._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row + defaults)
        else:
            placeholders = ", ".join(["%s"] * len(fields))
            cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({placeholders})",
                               [row + defaults for row in rows])
    return len(rows)


@dataclass
class Result:
    sites_created: int = 0
    patients: int = 0
    periods: int = 0
    reactions: int = 0
    seconds: float = 0.0
    skipped: bool = False

    @property
    def rows_per_second(self):
        total = self.patients + self.periods + self.reactions
        return total / self.seconds if self.seconds else None


class DemoDataExists(Exception):
    pass


def generate_demo_data(*, patients, seed, sites=None, reactions_per_patient=10.0, if_empty=False,
                       product_code="anakinra", today=None, stdout=None) -> Result:
    """Create the cohort in one transaction; refuse to add the same seed twice."""
    for model, names in ((Patient, PATIENT_FIELDS), (ExposurePeriod, PERIOD_FIELDS),
                         (InjectionSiteReaction, REACTION_FIELDS)):
        _defaulted_fields(model, names)
    if patients < 1:
        raise ValueError("--patients must be at least 1.")
    if reactions_per_patient < 0:
        raise ValueError("--reactions-per-patient cannot be negative.")
    sites = sites or min(10, max(2, patients // 100))
    if not 1 <= sites <= 99:
        raise ValueError("--sites must be between 1 and 99.")
    today = today or local_today()
    result = Result()
    if if_empty and Patient.objects.exists():
        result.skipped = True
        return result
    if Patient.objects.filter(patient_ref__startswith=f"D{seed}-").exists():
        raise DemoDataExists(f"Demo data for seed {seed} already exists; use another --seed.")
    product = Product.objects.filter(code=product_code).first()
    if product is None:
        raise ValueError(f"No product with code {product_code!r}.")
    reviewer_id = User.objects.filter(username="reviewer").values_list("pk", flat=True).first()

    started = time.perf_counter()
    ops = connection.ops
    now = ops.adapt_datetimefield_value(timezone.now())
    adapt_date = ops.adapt_datefield_value
    with transaction.atomic():
        tables = tables_of(Patient, ExposurePeriod, InjectionSiteReaction)
        transaction.on_commit(lambda: after_bulk_write(tables, sender=generate_demo_data))
        site_ids = {}
        for code in site_codes(sites):
            site, created = Site.objects.get_or_create(code=code, defaults={"name": f"Demo clinic {code[-2:]}"})
            site_ids[code] = site.pk
            result.sites_created += created
        for chunk in cohort_chunks(patients=patients, seed=seed, sites=sites, today=today,
                                   reactions_per_patient=reactions_per_patient):
            created = Patient.objects.bulk_create(
                [Patient(site_id=site_ids[site], patient_ref=ref, sex=sex, birth_year=birth_year)
                 for _, site, ref, sex, birth_year in chunk.patients], batch_size=2000)
            patient_ids = {row[0]: patient.pk for row, patient in zip(chunk.patients, created)}
            result.patients += len(created)
            result.periods += _table_insert(ExposurePeriod, PERIOD_FIELDS, [
                (patient_ids[index], product.pk, adapt_date(start), adapt_date(end), str(dose), "subcutaneous",
                 lot, None, None, "", now, now)
                for index, start, end, dose, lot in chunk.periods])
            reaction_rows = []
            for (index, ref, onset, resolution, severity, grade, symptoms, seriousness, outcome, action, causality,
                 injection_site, diameter, qualification, status) in chunk.reactions:
                reviewed = status == Status.REVIEWED
                reviewed_at = None
                if reviewed:
                    reviewed_day = min(onset + timedelta(days=30), today)
                    reviewed_at = ops.adapt_datetimefield_value(
                        timezone.make_aware(datetime.combine(reviewed_day, dtime(12, 0))))
                version = {Status.DRAFT: 1, Status.SUBMITTED: 2, Status.REVIEWED: 3}[status]
                reaction_rows.append((
                    ref, patient_ids[index], product.pk, adapt_date(onset), adapt_date(resolution), severity, grade,
                    _multi(symptoms), _multi(seriousness), outcome, action, causality, injection_site, diameter, None,
                    qualification, INJECTION_SITE_REACTION_LLT if reviewed else "", MEDDRA_VERSION if reviewed else "",
                    "", adapt_date(min(onset + timedelta(days=RECEIVED_AFTER_ONSET_DAYS), today)), None,
                    status, reviewer_id if reviewed else None, reviewed_at, False, False, version,
                    None, None, "", now, now))
            result.reactions += _table_insert(InjectionSiteReaction, REACTION_FIELDS, reaction_rows)
            if stdout is not None:
                stdout.write(f"  {result.patients:,} patients, {result.reactions:,} reactions "
                             f"({time.perf_counter() - started:.1f} s)")
    result.seconds = time.perf_counter() - started
    return result
