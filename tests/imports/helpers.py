"""Writing import files and checking that a refused import wrote nothing."""
from apps.accounts.models import Site
from apps.exposures.models import ExposurePeriod
from apps.patients.models import Patient
from apps.reactions.models import InjectionSiteReaction

HEADERS = {
    "patients": "patient_ref,site,sex,birth_year",
    "exposures": "patient_ref,product_code,start_date,end_date,dose_mg_per_day,route,lot_number",
    "reactions": "reaction_ref,patient_ref,product_code,onset_date,resolution_date,severity,ctcae_grade,"
                 "symptoms,seriousness,outcome",
}
# A valid reaction row of patient P-001 (the `exposure` fixture starts 2025-01-01, ongoing).
REACTION = "R-1,P-001,anakinra,2025-02-01,2025-02-10,mild,1,erythema;pain,,recovered"
EXPOSURE = "P-001,anakinra,2025-01-01,,100,subcutaneous,LOT-1"


def write_csv(tmp_path, kind, *rows, header=None, bom=False, name=None):
    path = tmp_path / (name or f"{kind}.csv")
    text = "\n".join([HEADERS[kind] if header is None else header, *rows]) + "\n"
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))
    return path


def snapshot():
    """Row counts of every table the importer writes, history included."""
    models = (Site, Patient, ExposurePeriod, InjectionSiteReaction)
    counts = {model.__name__: model.objects.count() for model in models}
    for model in models[1:]:
        counts[f"{model.__name__} history"] = model.history.count()
    return counts


def messages(result):
    return [str(problem) for problem in result.errors]


def assert_refused(result, path, line, field, text):
    """The import was refused with `path:line: field: ...text...` among its problems."""
    prefix = f"{path}:{line}: {field}: " if line is not None else f"{path}: {field}: "
    found = [message for message in messages(result) if message.startswith(prefix)]
    assert found, f"no problem starting {prefix!r} in {messages(result)}"
    assert any(text in message for message in found), f"{text!r} not in {found}"
    assert not result.written
