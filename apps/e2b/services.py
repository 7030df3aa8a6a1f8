"""E2B(R3) exports: refuse incomplete cases up front, build, validate, then record.

A document is recorded and offered only after it validates against the ICH schemas;
nothing is written when a case is refused or the document is invalid.
"""
import hashlib
import uuid
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from lxml import etree

from apps.audit.models import SignedAct
from apps.audit.signatures import record_signature, require_signature
from apps.core.policy import may_review, may_touch_site
from apps.reactions.choices import Status
from apps.reactions.models import InjectionSiteReaction

from . import xml
from .meddra import meddra_term_name
from .models import meddra_code_problem
from .models import E2bExport, SenderOrganisation
from .selectors import exported_exposures

# E2bExport.kind -> C.1.11.1 code.
NULLIFICATION_CODES = {"nullification": "1", "amendment": "2"}
NO_SENDER = ("No E2B sender organisation is configured: an administrator enters the sender and receiver "
             "identifiers, organisation name, country and MedDRA version in the admin (E2B sender organisation).")


DEMO_SENDER = dict(
    sender_identifier="PVTRACKER-DEMO", receiver_identifier="EVTEST", organisation_name="pv-tracker demo sponsor",
    country="IT", meddra_version="27.1", study_name="Demo ISR registry (synthetic data)",
    sponsor_study_number="DEMO-ISR-001")


def sender_ensure_demo() -> SenderOrganisation:
    """The demo install's sender organisation, so that case forms and exports work out of the box.

    An existing sender (an administrator's real settings) is kept as it is.
    """
    sender = SenderOrganisation.current()
    if sender is None:
        sender = SenderOrganisation(**DEMO_SENDER)
        sender.full_clean()
        sender.save()
    return sender


class ExportRefused(Exception):
    """Cases lack data an ICSR requires; `problems` maps a reaction reference ('' = all) to messages."""

    def __init__(self, problems: dict[str, list[str]]):
        self.problems = problems
        super().__init__("; ".join(f"{ref or 'export'}: {', '.join(msgs)}" for ref, msgs in problems.items()))


class ExportInvalid(Exception):
    """The built document does not validate against the E2B(R3) schemas."""

    def __init__(self, errors: list[str]):
        self.errors = errors
        super().__init__("; ".join(errors))


@dataclass
class ExportResult:
    xml: bytes
    batch_id: str
    exports: list

    @property
    def filename(self):
        if len(self.exports) == 1:
            export = self.exports[0]
            return f"{export.case_id}-v{export.version_number}.xml"
        return f"e2b-batch-{self.batch_id}.xml"


def can_export(user):
    """Reviewers and admins send ICSRs: they assess causality and lock the cases."""
    return bool(may_review(user))


def export_problems(reaction, exposures, *, nullifying=False) -> list[str]:
    """What this reaction lacks for an ICSR, each message naming the field (empty when ready).

    A nullification withdraws a case, so a voided one may be sent (it is the usual reason).
    """
    problems = []
    if reaction.is_voided and not nullifying:
        problems.append("The reaction is voided and cannot be reported.")
    if reaction.patient.is_voided:
        problems.append("The patient is voided: nothing of a voided patient is exported.")
    if reaction.status == Status.DRAFT:
        problems.append("The reaction is still a draft: submit it first.")
    if reaction.status == Status.RETURNED:
        problems.append("The reaction was returned to the site with a question: it must be resubmitted first.")
    if not reaction.meddra_llt_code:
        problems.append("MedDRA LLT code (E.i.2.1b) is missing.")
    if not reaction.meddra_version:
        problems.append("MedDRA version (E.i.2.1a) is missing.")
    if reaction.meddra_llt_code and reaction.meddra_version:
        problem = meddra_code_problem(reaction.meddra_llt_code, reaction.meddra_version)
        if problem:
            problems.append(f"{problem} (E.i.2.1b)")
    if not reaction.causality:
        problems.append("Causality (G.k.9.i.2.r.3) has not been assessed by a reviewer.")
    if not exposures:
        problems.append(f"No exposure to {reaction.product.name} starting on or before the onset is recorded: "
                        "dose and route (G.k.4.r) are missing.")
    return problems


def _case_numbering(reaction, sender, force_new_version=False):
    """The case id (fixed at the first export) and the version number of this export."""
    last = E2bExport.objects.filter(reaction=reaction).order_by("-created_at", "-pk").first()
    if last is None:
        return sender.case_id_for(reaction.reaction_ref), 1
    if last.reaction_version == reaction.version and not force_new_version:
        return last.case_id, last.version_number
    return last.case_id, last.version_number + 1


def e2b_export(*, reactions, actor=None, signature=None) -> ExportResult:
    """Export one batch with one message per reaction, signed by the exporter; `actor` None is the command line."""
    return _export_batch(reactions=reactions, actor=actor, signature=signature)


def e2b_nullify(*, reaction, actor, reason, signature=None) -> ExportResult:
    """C.1.11.1 = 1: withdraw a case already sent (typically a voided one) under its case id."""
    return _export_batch(reactions=[reaction], actor=actor, signature=signature,
                         kind=E2bExport.Kind.NULLIFICATION, reason=reason)


def e2b_amend(*, reaction, actor, reason, signature=None) -> ExportResult:
    """C.1.11.1 = 2: re-send a corrected case already sent (an error fixed, not new information)."""
    return _export_batch(reactions=[reaction], actor=actor, signature=signature,
                         kind=E2bExport.Kind.AMENDMENT, reason=reason)


def _correction_problems(reaction, kind, reason):
    problems = []
    if not E2bExport.objects.filter(reaction=reaction).exists():
        problems.append(f"The case was never sent: there is nothing to {'nullify' if kind == 'nullification' else 'amend'}.")
    if not (reason or "").strip():
        problems.append("Give the reason for the nullification or amendment (C.1.11.2).")
    if kind == E2bExport.Kind.AMENDMENT and reaction.is_voided:
        problems.append("A voided case is nullified, not amended.")
    return problems


def _export_batch(*, reactions, actor=None, signature=None, kind="", reason="") -> ExportResult:
    """Every ICSR sent (report, nullification, amendment) is signed by its sender."""
    require_signature(signature, actor=actor, act=SignedAct.E2B_EXPORT)
    kind = kind or E2bExport.Kind.REPORT
    reactions = list({reaction.pk: reaction for reaction in reactions}.values())
    if not reactions:
        raise ExportRefused({"": ["Select at least one reaction to export."]})
    if actor is not None:
        if not can_export(actor):
            raise PermissionDenied("Only reviewers and administrators export ICSRs.")
        for reaction in reactions:
            may_touch_site(actor, reaction.patient.site_id).require()

    with transaction.atomic():
        locked = {r.pk: r for r in InjectionSiteReaction.objects.select_for_update()
                  .select_related("patient__site", "product").filter(pk__in=[r.pk for r in reactions])}
        ordered = [locked[r.pk] for r in reactions if r.pk in locked]
        sender = SenderOrganisation.current()
        problems = {"": [NO_SENDER]} if sender is None else {}
        exposures = {}
        for reaction in ordered:
            exposures[reaction.pk] = exported_exposures(reaction)
            found = export_problems(reaction, exposures[reaction.pk],
                                    nullifying=kind == E2bExport.Kind.NULLIFICATION)
            if kind != E2bExport.Kind.REPORT:
                found += _correction_problems(reaction, kind, reason)
            if found:
                problems[reaction.reaction_ref] = found
        if problems:
            raise ExportRefused(problems)

        now = timezone.now()
        batch_id = f"{sender.sender_identifier}-{now:%Y%m%d%H%M%S}-{uuid.uuid4().hex[:8]}"
        messages, pending = [], []
        for reaction in ordered:
            case_id, version_number = _case_numbering(reaction, sender, force_new_version=kind != E2bExport.Kind.REPORT)
            message = xml.CaseMessage(
                reaction=reaction, exposures=exposures[reaction.pk], sender=sender, case_id=case_id,
                version_number=version_number, message_id=f"{case_id}-v{version_number}-{uuid.uuid4().hex[:12]}",
                created=now, meddra_term_name=meddra_term_name(reaction.meddra_llt_code, reaction.meddra_version),
                nullification_code=NULLIFICATION_CODES.get(kind, ""), nullification_reason=(reason or "").strip())
            element = xml.message_element(message)
            messages.append(element)
            pending.append((message, element))
        document = xml.batch_document(batch_id=batch_id, created=now, sender=sender, messages=messages)
        errors = xml.validate_document(document)
        if errors:
            raise ExportInvalid(errors)
        content = xml.serialize(document)
        digest = hashlib.sha256(content).hexdigest()
        exports = [E2bExport.objects.create(
            reaction=message.reaction, case_id=message.case_id, version_number=message.version_number,
            reaction_version=message.reaction.version, message_id=message.message_id, batch_id=batch_id,
            batch_sha256=digest, message_xml=etree.tostring(element, encoding="unicode"), created_by=actor,
            kind=kind, reason=message.nullification_reason)
            for message, element in pending]
        if signature is not None:
            for message, _ in pending:
                record_signature(signature, message.reaction)
    return ExportResult(xml=content, batch_id=batch_id, exports=exports)
