"""E2B(R3) acknowledgements (MCCI_IN200101UV01) of a received batch, validated before they are kept."""
import uuid
from functools import cache
from pathlib import Path

from django.utils import timezone
from lxml import etree

from . import codes
from .xml import E, serialize, ts, typed

ACK_SCHEMA_PATH = Path(__file__).resolve().parent / "schemas" / "acknowledgement" / "MCCI_IN200101UV01.xsd"
ICH = codes.ICH
OID_ACK_BATCH_ID = f"{ICH}.3.20"          # ACK.M.1
OID_ACK_BATCH_SENDER = f"{ICH}.3.17"      # ACK.M.2
OID_ACK_BATCH_RECEIVER = f"{ICH}.3.18"    # ACK.M.3
OID_ACK_LOCAL_REPORT = f"{ICH}.3.19"      # ACK.B.r.2
OID_ACK_MESSAGE_SENDER = f"{ICH}.3.15"    # ACK.B.r.4
OID_ACK_MESSAGE_RECEIVER = f"{ICH}.3.16"  # ACK.B.r.3
OID_ACK_LOCAL_MESSAGE = f"{ICH}.3.21"     # ACK.A.2
OID_ACK_KEYWORD = f"{ICH}.1.24"
BATCH_ACCEPTED, BATCH_WITH_ERRORS, BATCH_REJECTED = "AA", "AE", "AR"
MESSAGE_ACCEPTED, MESSAGE_REJECTED = "CA", "CR"
UNKNOWN = "UNKNOWN"


@cache
def ack_schema():
    return etree.XMLSchema(etree.parse(str(ACK_SCHEMA_PATH)))


def validate_acknowledgement(content: bytes) -> list[str]:
    document = etree.fromstring(content)
    if ack_schema().validate(document):
        return []
    return [f"line {error.line}: {error.message}" for error in ack_schema().error_log]


def _device(tag, root, extension):
    return getattr(E, tag)(E.device(E.id(root=root, extension=extension or UNKNOWN), classCode="DEV",
                                    determinerCode="INSTANCE"), typeCode="RCV" if tag == "receiver" else "SND")


def _keyword(number, name, value):
    return E.attentionLine(E.keyWordText(code=number, codeSystem=OID_ACK_KEYWORD, displayName=name), value)


def _details(texts):
    return [E.acknowledgementDetail(E.text(text)) for text in texts]


def message_acknowledgement(*, case, local_number, our_id, created, code, texts):
    """ACK.B.r: one received ICSR, accepted (CA) or rejected (CR)."""
    children = [
        E.id(root=OID_ACK_LOCAL_REPORT, extension=local_number),
        E.creationTime(value=created),
        E.interactionId(root=codes.OID_INTERACTION, extension="MCCI_IN000002UV01"),
        E.processingCode(code="P"), E.processingModeCode(code="T"), E.acceptAckCode(code="NE"),
        _device("receiver", OID_ACK_MESSAGE_RECEIVER, case.get("sender")),
        _device("sender", OID_ACK_MESSAGE_SENDER, our_id),
    ]
    if case.get("message_created"):
        children.append(_keyword("1", "dateOfIcsrMessageCreation",
                                 typed(E.value(value=case["message_created"]), "TS")))
    children.append(E.acknowledgement(
        E.targetMessage(E.id(root=codes.OID_MESSAGE_ID, extension=case.get("message_id") or UNKNOWN)),
        *_details(texts), typeCode=code))
    return E.MCCI_IN000002UV01(*children)


def batch_acknowledgement(*, batch, our_id, code, texts, messages=()) -> bytes:
    """ACK.M + ACK.A: the acknowledgement of a whole received batch; `batch` is a parsing.ParsedBatch."""
    created = ts(timezone.now())
    children = [
        E.id(root=OID_ACK_BATCH_ID, extension=uuid.uuid4().hex),
        E.creationTime(value=created),
        E.responseModeCode(code="D"),
        E.interactionId(root=codes.OID_INTERACTION, extension="MCCI_IN200101UV01"),
        *messages,
        _device("receiver", OID_ACK_BATCH_RECEIVER, batch.batch_sender),
        _device("sender", OID_ACK_BATCH_SENDER, our_id),
        _keyword("2", "acknowledgementLocalMessageNumber",
                 typed(E.value(root=OID_ACK_LOCAL_MESSAGE, extension=uuid.uuid4().hex[:16]), "II")),
    ]
    if batch.batch_created:
        children.append(_keyword("3", "dateOfIcsrBatchTransmission", typed(E.value(value=batch.batch_created), "TS")))
    children.append(E.acknowledgement(E.targetBatch(E.id(root=codes.OID_BATCH_ID, extension=batch.batch_id or UNKNOWN)),
                                      *_details(texts), typeCode=code))
    return serialize(E.MCCI_IN200101UV01(*children, ITSVersion="XML_1.0"))

