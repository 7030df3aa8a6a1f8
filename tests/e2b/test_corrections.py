"""C.1.4/C.1.5 come from the case's receipt dates; nullification and amendment of a case already sent."""
from datetime import date

import pytest

from django.core.exceptions import PermissionDenied

from apps.audit.models import Signature, SignedAct
from apps.e2b.models import E2bExport
from apps.e2b.services import ExportRefused, e2b_amend, e2b_export, e2b_nullify
from apps.reactions.services import reaction_void
from tests.e2b.icsr import parse, read_case
from tests.factories import signed

pytestmark = pytest.mark.django_db


def export_signature(user):
    return signed(user, SignedAct.E2B_EXPORT)


def characteristics(result):
    root = parse(result.xml)
    ns = {"h": "urn:hl7-org:v3"}
    return {c.find("h:code", ns).get("code"): c.find("h:value", ns)
            for c in root.iterfind(".//h:investigationCharacteristic", ns)}


def test_the_receipt_dates_are_the_cases_own_not_the_rows_timestamps(sender, make_case):
    reaction = make_case(received_date=date(2025, 1, 15), latest_information_date=date(2025, 3, 2))
    case = read_case(parse(e2b_export(reactions=[reaction]).xml))
    assert (case["first_received"], case["most_recent"]) == ("20250115", "20250302")


def test_without_follow_up_the_most_recent_information_is_the_first_receipt(sender, make_case):
    case = read_case(parse(e2b_export(reactions=[make_case(received_date=date(2025, 1, 15))]).xml))
    assert case["most_recent"] == "20250115"


def test_a_voided_case_already_sent_is_nullified_with_its_reason(sender, make_case, reviewer):
    reaction = make_case()
    first = e2b_export(reactions=[reaction]).exports[0]
    reaction_void(reaction=reaction, actor=reviewer, reason="Wrong patient", signature=signed(reviewer, SignedAct.VOID))
    reaction.refresh_from_db()

    result = e2b_nullify(reaction=reaction, actor=reviewer, reason="Wrong patient", signature=export_signature(reviewer))

    values = characteristics(result)
    assert values["3"].get("code") == "1"
    assert values["4"].findtext("{urn:hl7-org:v3}originalText") == "Wrong patient"
    export = result.exports[0]
    assert export.case_id == first.case_id and export.version_number == 2
    assert export.kind == E2bExport.Kind.NULLIFICATION and export.reason == "Wrong patient"


def test_an_amendment_re_sends_a_corrected_case_under_its_case_id(sender, make_case, reviewer):
    reaction = make_case()
    first = e2b_export(reactions=[reaction]).exports[0]
    result = e2b_amend(reaction=reaction, actor=reviewer, reason="Onset date corrected", signature=export_signature(reviewer))
    assert characteristics(result)["3"].get("code") == "2"
    assert result.exports[0].case_id == first.case_id and result.exports[0].version_number == 2


def test_a_case_never_sent_cannot_be_nullified_or_amended_and_a_reason_is_required(sender, make_case, reviewer):
    reaction = make_case()
    with pytest.raises(ExportRefused, match="never sent"):
        e2b_nullify(reaction=reaction, actor=reviewer, reason="x", signature=export_signature(reviewer))
    e2b_export(reactions=[reaction])
    with pytest.raises(ExportRefused, match="reason"):
        e2b_amend(reaction=reaction, actor=reviewer, reason=" ", signature=export_signature(reviewer))
    assert E2bExport.objects.count() == 1


def test_a_voided_case_is_nullified_not_amended(sender, make_case, reviewer):
    reaction = make_case()
    e2b_export(reactions=[reaction])
    reaction_void(reaction=reaction, actor=reviewer, reason="Entered twice", signature=signed(reviewer, SignedAct.VOID))
    reaction.refresh_from_db()
    with pytest.raises(ExportRefused, match="nullified, not amended"):
        e2b_amend(reaction=reaction, actor=reviewer, reason="x", signature=export_signature(reviewer))


def test_a_correction_is_signed_by_its_sender_and_refused_unsigned(sender, make_case, reviewer):
    reaction = make_case()
    e2b_export(reactions=[reaction])
    with pytest.raises(PermissionDenied, match="signature"):
        e2b_amend(reaction=reaction, actor=reviewer, reason="Onset date corrected")
    assert E2bExport.objects.count() == 1
    e2b_amend(reaction=reaction, actor=reviewer, reason="Onset date corrected", signature=export_signature(reviewer))
    signature = Signature.objects.get(record_id=reaction.pk, act=SignedAct.E2B_EXPORT)
    assert signature.signer == reviewer and signature.meaning == "approved_for_submission"


def test_the_reception_date_cannot_follow_the_latest_information(make_case):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="predate"):
        make_case(received_date=date(2025, 3, 1), latest_information_date=date(2025, 2, 1))


def test_the_nullification_page_asks_for_the_reason_and_the_signature_then_downloads(sender, make_case, reviewer,
                                                                                     client):
    from django.urls import reverse

    from tests.factories import SIGN_EXPORT

    reaction = make_case()
    e2b_export(reactions=[reaction])
    client.force_login(reviewer)
    url = reverse("e2b:case_nullify", args=[reaction.pk])
    page = client.get(url)
    assert page.status_code == 200 and 'name="reason"' in page.content.decode() and 'name="password"' in page.content.decode()

    wrong = client.post(url, {"reason": "Entered twice", **SIGN_EXPORT, "password": "wrong"})
    assert wrong.status_code == 400 and "password is not correct" in wrong.content.decode()
    no_reason = client.post(url, {"reason": " ", **SIGN_EXPORT})
    assert no_reason.status_code == 400
    assert E2bExport.objects.count() == 1 and not Signature.objects.filter(act=SignedAct.E2B_EXPORT).exists()

    sent = client.post(url, {"reason": "Entered twice", **SIGN_EXPORT})
    assert sent.status_code == 200 and sent["Content-Type"].startswith("application/xml")
    assert E2bExport.objects.filter(kind=E2bExport.Kind.NULLIFICATION, reason="Entered twice").count() == 1
    assert Signature.objects.filter(act=SignedAct.E2B_EXPORT, signer=reviewer, record_id=reaction.pk).count() == 1
