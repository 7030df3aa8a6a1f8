from datetime import date

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Max, Min

from apps.accounts.models import Site
from apps.core.models import today
from apps.demo.generator import cohort_chunks
from apps.exposures.models import ExposurePeriod
from apps.patients.models import Patient
from apps.reactions.models import InjectionSiteReaction
from apps.cohort import queries
from apps.cohort.scope import Scope
from apps.summaries import selectors

pytestmark = pytest.mark.django_db


def rows(seed, chunk_size=5000):
    return [(chunk.patients, chunk.periods, chunk.reactions)
            for chunk in cohort_chunks(patients=120, seed=seed, sites=3, today=date(2026, 1, 15),
                                       chunk_size=chunk_size)]


def flatten(chunks):
    return [tuple(sum((list(part[i]) for part in chunks), [])) for i in range(3)]


def test_the_same_seed_gives_the_same_rows_whatever_the_chunk_size(db):
    assert flatten(rows(1)) == flatten(rows(1, chunk_size=7))
    assert rows(1) != rows(2)


def test_the_command_is_deterministic_in_the_database(product):
    call_command("generate_demo_data", patients=40, seed=5)
    first = list(InjectionSiteReaction.objects.order_by("reaction_ref").values_list(
        "reaction_ref", "patient__patient_ref", "onset_date", "resolution_date", "severity", "symptoms", "status"))
    assert first
    InjectionSiteReaction.objects.all().delete()  # queryset deletes: the test wipes its own demo rows
    ExposurePeriod.objects.all().delete()
    Patient.objects.all().delete()
    call_command("generate_demo_data", patients=40, seed=5)
    again = list(InjectionSiteReaction.objects.order_by("reaction_ref").values_list(
        "reaction_ref", "patient__patient_ref", "onset_date", "resolution_date", "severity", "symptoms", "status"))
    assert again == first


def test_generated_rows_pass_full_clean(product):
    call_command("generate_demo_data", patients=150, seed=3)
    for patient in Patient.objects.order_by("?")[:30]:
        patient.full_clean()
    for period in ExposurePeriod.objects.order_by("?")[:60]:
        period.full_clean()  # includes the overlap rule against the patient's other periods
    sample = list(InjectionSiteReaction.objects.order_by("?")[:200])
    for reaction in sample:
        flagged = reaction.late_onset_flag
        reaction.full_clean()  # includes onset within exposure and outcome/date consistency
        assert reaction.late_onset_flag == flagged
    serious = InjectionSiteReaction.objects.exclude(seriousness="")
    for reaction in serious[:20]:
        reaction.full_clean()


def test_it_creates_the_sites_and_keeps_every_date_in_the_past(product):
    call_command("generate_demo_data", patients=300, seed=1, sites=4)
    assert list(Site.objects.values_list("code", flat=True)) == ["site-01", "site-02", "site-03", "site-04"]
    assert Patient.objects.count() == 300
    periods = ExposurePeriod.objects.aggregate(start=Max("start_date"), end=Max("end_date"))
    reactions = InjectionSiteReaction.objects.aggregate(onset=Max("onset_date"), resolved=Max("resolution_date"),
                                                        first=Min("onset_date"))
    assert max(periods["start"], periods["end"], reactions["onset"], reactions["resolved"]) <= today()
    assert ExposurePeriod.objects.filter(end_date__isnull=True).exists()  # some ongoing
    assert ExposurePeriod.objects.values("patient").distinct().count() == 300


def test_the_cohort_looks_like_the_reference(product):
    call_command("generate_demo_data", patients=1000, seed=11)
    scope = Scope(product=product, as_of=today())
    incidence = queries.incidence(scope)
    assert 0.60 <= incidence.with_isr / incidence.exposed <= 0.69
    mild = selectors.mild_moderate_share(queries.reaction_counts(scope))
    assert 0.92 <= mild.share <= 0.98
    durations = {row["label"]: row["reactions"].share for row in selectors.summary("duration", scope).rows}
    assert durations["14–28 days"] > 0.6
    assert 0 < durations["Ongoing at the as-of date"] < 0.1
    reactions = InjectionSiteReaction.objects.count()
    assert 8_000 <= reactions <= 12_000  # about ten per patient
    statuses = set(InjectionSiteReaction.objects.values_list("status", flat=True).distinct())
    assert statuses == {"draft", "submitted", "reviewed"}
    assert InjectionSiteReaction.objects.exclude(seriousness="").exists()
    assert _first_month_share() > 0.7


def _first_month_share():
    starts = dict(ExposurePeriod.objects.values("patient_id").annotate(first=Min("start_date"))
                  .values_list("patient_id", "first"))
    onsets = InjectionSiteReaction.objects.values_list("patient_id", "onset_date")
    within = total = 0
    for patient_id, onset in onsets:
        total += 1
        within += (onset - starts[patient_id]).days < 30
    return within / total


def test_it_writes_no_history_rows_for_demo_data(product):
    call_command("generate_demo_data", patients=20, seed=2)
    assert InjectionSiteReaction.history.count() == 0
    assert Patient.history.count() == 0


def test_if_empty_skips_a_database_that_holds_patients(product, patient, capsys):
    call_command("generate_demo_data", patients=20, seed=2, if_empty=True)
    assert Patient.objects.count() == 1
    assert "no demo data added" in capsys.readouterr().out


def test_it_refuses_the_same_seed_twice(product):
    call_command("generate_demo_data", patients=5, seed=4)
    with pytest.raises(CommandError, match="Demo data for seed 4 already exists"):
        call_command("generate_demo_data", patients=5, seed=4)


@pytest.mark.parametrize("options, message", [
    ({"patients": 0}, "--patients must be at least 1."),
    ({"patients": 5, "sites": 100}, "--sites must be between 1 and 99."),
    ({"patients": 5, "reactions_per_patient": -1}, "--reactions-per-patient cannot be negative."),
])
def test_it_rejects_bad_options_with_a_clear_message(product, options, message):
    with pytest.raises(CommandError, match=message):
        call_command("generate_demo_data", seed=1, **options)
