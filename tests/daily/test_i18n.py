"""Italian and English: catalogues complete and compiled, ISO dates kept, SVG numbers unlocalised."""
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from apps.reactions.choices import Severity, Symptom

pytestmark = pytest.mark.django_db

LOCALE = Path(settings.BASE_DIR) / "locale"


def po_entries(path):
    text = path.read_text(encoding="utf-8")
    for block in text.split("\n\n"):
        msgid = "".join(re.findall(r'"((?:[^"\\]|\\.)*)"', (re.search(r'^msgid ((?:".*"\n?)+)', block, re.M)
                                                            or [None, ""])[1]))
        strs = re.findall(r'^msgstr(?:\[\d\])? ((?:".*"\n?)+)', block, re.M)
        yield msgid, ["".join(re.findall(r'"((?:[^"\\]|\\.)*)"', s)) for s in strs], "#, fuzzy" in block


@pytest.mark.parametrize("language", ["it", "en_GB"])
def test_every_catalogue_entry_is_translated_and_none_is_fuzzy(language):
    entries = [(m, s, f) for m, s, f in po_entries(LOCALE / language / "LC_MESSAGES" / "django.po") if m]
    assert len(entries) > 300
    untranslated = [m for m, strs, fuzzy in entries if fuzzy or not all(strs)]
    assert not untranslated, untranslated


def test_the_committed_mo_files_match_the_po_files(tmp_path):
    """The .mo are committed (a plain `make run` needs no gettext); they must be compiled from the .po."""
    if not shutil.which("msgfmt"):
        pytest.skip("gettext's msgfmt is not installed")
    for po in LOCALE.glob("*/LC_MESSAGES/django.po"):
        fresh = tmp_path / f"{po.parent.parent.name}.mo"
        subprocess.run(["msgfmt", "--check-format", "-o", str(fresh), str(po)], check=True)
        assert fresh.read_bytes() == po.with_suffix(".mo").read_bytes(), f"run `make messages` ({po})"


def test_medical_terms_follow_the_italian_label():
    with translation.override("it"):
        assert str(Symptom.ERYTHEMA.label) == "Eritema"
        assert str(Severity.MILD.label) == "Lieve"
        from apps.reactions.views import ReactionListView
        assert str(ReactionListView.page_title) == "Reazioni nel sito di iniezione"


def test_italian_pages_keep_iso_dates_and_plain_svg_numbers(client, reporter, exposure):
    client.force_login(reporter)
    client.post(reverse("set_language"), {"language": "it", "next": "/"})
    form = client.get(reverse("reactions:create", args=[exposure.patient.pk])).content.decode()
    assert 'lang="it"' in form and "Data di insorgenza" in form and "Sintomi nel sito di iniezione" in form
    assert "Eritema" in form
    home = client.get(reverse("dashboard:home")).content.decode()
    assert "Segnala una reazione" in home
    for svg in re.findall(r"<svg.*?</svg>", home, re.S):
        assert not re.search(r'(?:x|y|width|height|x1|x2|y1|y2)="-?\d+,\d', svg), "a localised number in an SVG"
    response = client.post(reverse("reactions:create", args=[exposure.patient.pk]), {
        "reaction_ref": "R-IT-1", "product": exposure.product.pk, "onset_date": "2025-02-03",
        "severity": "mild", "ctcae_grade": "3", "symptoms": ["erythema"], "outcome": "not_recovered",
        "action_taken": "unknown", "reporter_qualification": "physician"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Il grado CTCAE 3 non corrisponde all&#x27;intensità &#x27;lieve&#x27;" in page
    assert 'value="2025-02-03"' in page  # the ISO date input keeps its value in Italian


@pytest.mark.parametrize("name, italian, english", [
    ("password_change", "Cambia la password", "Change your password"),
    ("audit:access_log", "Tutti i tipi", "All kinds"),
    ("e2b:inbox", "Casi da smistare", "Triage queue"),
    ("clocks:queue", "Scadenze regolatorie", "Regulatory clocks"),
])
def test_the_account_audit_inbox_and_clock_pages_are_in_italian(client, admin_user, name, italian, english):
    client.force_login(admin_user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "it"
    page = client.get(reverse(name)).content.decode()
    assert italian in page and english not in page


def test_the_refusal_page_gives_its_reason_in_italian(client, reporter, exposure):
    from tests.factories import ReactionFactory, UserFactory

    draft = ReactionFactory(patient=exposure.patient, product=exposure.product, status="submitted")

    client.force_login(UserFactory(username="senza-ruolo"))
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "it"
    refused = client.get(reverse("reactions:list"))
    assert refused.status_code == 403 and "non ha ancora un ruolo" in refused.content.decode()
    client.force_login(reporter)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "it"
    refused = client.get(reverse("reactions:review", args=[draft.pk]))
    assert refused.status_code == 403 and "Solo i revisori e gli amministratori possono farlo." in refused.content.decode()
