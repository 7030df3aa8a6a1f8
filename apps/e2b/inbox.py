"""The E2B(R3) inbox: receive a batch, acknowledge it, queue its ICSRs, and triage them.

A file is checked against the ICH schemas before anything of it is kept: a refused file
leaves only the refusal (its errors and the negative acknowledgement). An accepted batch
keeps every ICSR raw and parsed, linked to the earlier version of the same worldwide case id.
"""
import hashlib
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from apps.core.policy import may_triage

from . import acknowledgement as ack
from .inbox_models import IncomingBatch, IncomingCase
from .models import SenderOrganisation
from .parsing import NULLIFICATION, ParsedBatch, read_batch

# The parsed fields whose change a follow-up shows.
COMPARED_FIELDS = ("case_id", "report_type", "first_received", "most_recent", "patient_sex", "patient_age",
                   "patient_age_unit", "nullification", "nullification_reason", "reactions", "drugs", "narrative")
MAX_FILE_BYTES = 20 * 1024 * 1024


@dataclass
class ImportResult:
    batch: IncomingBatch
    cases: list

    @property
    def accepted(self):
        return self.batch.status == IncomingBatch.Status.ACCEPTED


def _our_identifier():
    sender = SenderOrganisation.current()
    return sender.sender_identifier if sender else "PV-TRACKER"


def _checked(content: bytes) -> str:
    errors = ack.validate_acknowledgement(content)
    if errors:  # a bug in the builder, never the sender's fault: fail loudly
        raise RuntimeError(f"The acknowledgement does not validate: {errors}")
    return content.decode()


def _drop_lines(value):
    """The parsed fields without their source lines (which move whenever anything above them does)."""
    if isinstance(value, dict):
        return {key: _drop_lines(item) for key, item in value.items() if key != "line"}
    if isinstance(value, list):
        return [_drop_lines(item) for item in value]
    return value


def changes_between(earlier: dict, later: dict) -> list[dict]:
    """What a later version changed: one row per compared field whose value differs."""
    return [{"field": name, "before": earlier.get(name), "after": later.get(name)}
            for name in COMPARED_FIELDS
            if _drop_lines(earlier.get(name)) != _drop_lines(later.get(name))]


def e2b_import(*, content: bytes, filename="", actor=None) -> ImportResult:
    """Receive one batch file; returns the stored batch (accepted or refused) and its cases."""
    may_triage(actor).require()
    digest = hashlib.sha256(content).hexdigest()
    our_id = _our_identifier()
    parsed = read_batch(content) if len(content) <= MAX_FILE_BYTES else None
    if parsed is None or not parsed.is_valid:
        parsed = parsed or ParsedBatch(errors=[f"line 0: the file is over {MAX_FILE_BYTES // 1024 // 1024} MB."])
        acknowledgement = ack.batch_acknowledgement(batch=parsed, our_id=our_id, code=ack.BATCH_REJECTED,
                                                    texts=parsed.errors)
        batch = IncomingBatch.objects.create(
            filename=filename[:255], sha256=digest, status=IncomingBatch.Status.REFUSED, errors=parsed.errors,
            batch_id=parsed.batch_id[:100], batch_sender=parsed.batch_sender[:100],
            acknowledgement_xml=_checked(acknowledgement), received_by=actor)
        return ImportResult(batch=batch, cases=[])

    created = ack.ts(timezone.now())
    with transaction.atomic():
        batch = IncomingBatch.objects.create(
            filename=filename[:255], sha256=digest, status=IncomingBatch.Status.ACCEPTED,
            batch_id=parsed.batch_id[:100], batch_sender=parsed.batch_sender[:100], acknowledgement_xml="",
            received_by=actor)
        cases, message_acks = [], []
        for case_data, raw in zip(parsed.cases, parsed.raw_messages):
            case = _store_case(batch, case_data, raw)
            cases.append(case)
            message_acks.append(ack.message_acknowledgement(
                case=case_data, local_number=str(case.pk), our_id=our_id, created=created,
                code=ack.MESSAGE_ACCEPTED, texts=[f"ICSR {case.case_id} received for triage."]))
        batch.acknowledgement_xml = _checked(ack.batch_acknowledgement(
            batch=parsed, our_id=our_id, code=ack.BATCH_ACCEPTED, messages=message_acks,
            texts=[f"{len(cases)} ICSR(s) received."]))
        batch.save(update_fields=["acknowledgement_xml"])
    return ImportResult(batch=batch, cases=cases)


def _store_case(batch, data, raw):
    previous = (IncomingCase.objects.select_for_update().filter(worldwide_id=data["worldwide_id"])
                .order_by("-pk").first()) if data["worldwide_id"] else None
    age = f"{data['patient_age']} {data['patient_age_unit']}".strip()
    case = IncomingCase.objects.create(
        batch=batch, message_id=data["message_id"][:100], sender=data["sender"][:100],
        case_id=data["case_id"][:100], worldwide_id=data["worldwide_id"][:100], report_type=data["report_type"][:1],
        first_received=data["first_received"][:30], most_recent=data["most_recent"][:30],
        patient_sex=data["patient_sex"][:10], patient_age=age[:20],
        is_nullification=data["nullification"] == NULLIFICATION, parsed=data, raw_xml=raw, previous=previous)
    if case.is_nullification and data["worldwide_id"]:
        # Every earlier version is withdrawn; a pending one leaves the queue.
        IncomingCase.objects.filter(worldwide_id=data["worldwide_id"], pk__lt=case.pk).update(nullified_by=case)
    return case


def _pending(case):
    current = IncomingCase.objects.select_for_update().get(pk=case.pk)
    if not current.is_pending:
        raise ValidationError(f"ICSR {current.case_id} was already triaged ({current.get_triage_display()}).",
                              code="already_triaged")
    return current


def _check_triage(actor):
    may_triage(actor).require()


@transaction.atomic
def incoming_case_dismiss(*, case, actor, reason) -> IncomingCase:
    _check_triage(actor)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Give a reason for dismissing the ICSR."})
    current = _pending(case)
    current.triage, current.dismiss_reason = IncomingCase.Triage.DISMISSED, reason
    current.triaged_by, current.triaged_at = actor, timezone.now()
    current.save()
    return current


@transaction.atomic
def incoming_case_link(*, case, reaction, actor) -> IncomingCase:
    """The reviewer turned the ICSR into `reaction` (created through reaction_create)."""
    _check_triage(actor)
    current = _pending(case)
    current.triage, current.reaction = IncomingCase.Triage.ACCEPTED, reaction
    current.triaged_by, current.triaged_at = actor, timezone.now()
    current.save()
    return current
