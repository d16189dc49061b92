"""Queue and topic deliveries as a list of neutral :class:`Message`.

What each platform hands the function (fixtures under ``tests/events/``):

- AWS SQS (event source mapping): ``{"Records": [{"eventSource": "aws:sqs", "messageId", "body",
  "attributes": {"ApproximateReceiveCount", "SentTimestamp", ...}, "messageAttributes",
  "eventSourceARN", ...}, ...]}`` - up to ``batch_size`` records.
- AWS SNS (Lambda subscription): ``{"Records": [{"EventSource": "aws:sns", "Sns": {"MessageId",
  "TopicArn", "Message", "Timestamp", "MessageAttributes": {k: {"Type", "Value"}}}}]}`` - always
  exactly one record.
- Alibaba MNS queue through an FC 3.0 EventBridge trigger: one CloudEvent (event-driven mode) or
  a JSON array of them (event-streaming mode, used for batches), each
  ``{"id", "source", "type": "mns:Queue:SendMessage", "subject": "acs:mns:<region>:<account>:queues/<q>",
  "time", "data": {"requestId", "messageId", "messageBody"}}``. There is no receive count.
- Alibaba MNS topic through an FC ``mns_topic`` trigger with ``notifyContentFormat: JSON``:
  ``{"TopicOwner", "Message", "Subscriber", "PublishTime", "SubscriptionName", "MessageMD5",
  "TopicName", "MessageId"}`` plus message attributes merged in at the top level.
- The same trigger with ``STREAM`` (FC's default, not what ``Topic`` configures): the raw body,
  or ``{"body", "attrs"}`` when the message has attributes. It carries no message id: MNS puts
  ``x-mns-message-id`` / ``x-mns-request-id`` in the HTTP headers of its push (MNS HttpEndpoint
  reference), and an FC event handler sees only the body. A content hash is no id: two
  publications of "ping" would collide. So :func:`from_ali_stream` labels the message
  ``stream-sha256:<hex>`` for logs only and marks it ``deduplicate=False``: idempotency stores
  never skip it (at-least-once; use the JSON format, as ``Topic`` does, for a real id).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Literal

from cloudfn.entry import decode_json_bytes
from cloudfn.errors import EventFormatError
from cloudfn.events import _describe
from cloudfn.events._time import parse_time

Kind = Literal["queue", "topic"]

_AWS_EXPECTED = "an SQS batch {Records: [{eventSource: 'aws:sqs', ...}]} or an SNS event {Records: [{Sns: ...}]}"
_ALI_EXPECTED = (
    "an EventBridge CloudEvent for an MNS queue (one, or a JSON array of them) or an MNS topic "
    "notification in JSON format {TopicName, MessageId, Message, ...}"
)
_TOPIC_JSON_KEYS = frozenset(
    ("TopicOwner", "Message", "Subscriber", "PublishTime", "SubscriptionName", "MessageMD5", "TopicName", "MessageId")
)
_EMPTY: Mapping[str, str] = {}


@dataclass(frozen=True)
class Message:
    """One message, whichever cloud and service delivered it.

    ``receive_count`` is how many times the queue has delivered it (SQS's
    ``ApproximateReceiveCount``); ``None`` where the platform does not say (SNS, MNS).
    ``source`` is the queue or topic name; ``kind`` says which of the two.
    """

    id: str
    body: str
    source: str
    kind: Kind
    attributes: Mapping[str, str] = field(default_factory=dict)
    receive_count: int | None = None
    sent_at: datetime | None = None
    # False when ``id`` does not identify one publication (MNS STREAM: derived from the content),
    # so an idempotency store must not treat two deliveries with the same id as one message.
    deduplicate: bool = True

    def json(self) -> Any:
        """The body decoded as JSON, or an :class:`EventFormatError` naming the message."""
        try:
            return json.loads(self.body)
        except json.JSONDecodeError as exc:
            raise EventFormatError(f"message {self.id}: expected a JSON body; got {self.body[:80]!r}") from exc

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "body": self.body,
            "source": self.source,
            "kind": self.kind,
            "attributes": dict(self.attributes),
            "receive_count": self.receive_count,
            "sent_at": self.sent_at.isoformat() if self.sent_at else None,
            "deduplicate": self.deduplicate,
        }


def _soft_time(value: Any) -> datetime | None:
    # A timestamp the platform formats oddly must not make a whole batch undeliverable.
    if value is None:
        return None
    try:
        return parse_time(value, "time")
    except EventFormatError:
        return None


def _ms_time(value: Any) -> datetime | None:
    # Soft, like _soft_time: out of range, NaN, infinity or text all give None, never a rejection.
    try:
        return datetime.fromtimestamp(int(value) / 1000, tz=timezone.utc)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def _require(record: Mapping[str, Any], key: str, where: str) -> Any:
    try:
        return record[key]
    except KeyError:
        raise EventFormatError(f"{where}: expected key {key!r}; got keys {_describe.keys(record)}") from None


def _object(record: Mapping[str, Any], key: str, where: str) -> Mapping[str, Any]:
    """An optional nested object: absent or null is empty, anything but an object is refused."""
    value = record.get(key)
    if value is None:
        return _EMPTY
    if not isinstance(value, dict):
        raise EventFormatError(f"{where}: expected {key!r} as an object; got {type(value).__name__}")
    return value


def _count(value: Any, where: str) -> int | None:
    if value is None:
        return None
    try:
        if isinstance(value, bool) or not isinstance(value, (int, str)) or len(str(value)) > 12:
            raise ValueError
        return int(value)
    except ValueError:
        raise EventFormatError(f"{where}: expected an integer; got {_describe.value(value)}") from None


def _text(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise EventFormatError(f"{where}: expected a string; got {type(value).__name__}")
    return value


# -- AWS ------------------------------------------------------------------------------------------
def _sqs_record(record: Any, i: int) -> Message:
    where = f"SQS record {i}"
    if not isinstance(record, dict):
        raise EventFormatError(f"{where}: expected an object; got {type(record).__name__}")
    msg_id = _text(_require(record, "messageId", where), f"{where} messageId")
    body = _text(_require(record, "body", where), f"{where} body")
    system = _object(record, "attributes", where)
    attributes: dict[str, str] = {}
    for name, attr in _object(record, "messageAttributes", where).items():
        value = attr.get("stringValue") if isinstance(attr, dict) else None
        if value is None and isinstance(attr, dict):
            value = attr.get("binaryValue")  # base64 text, as Lambda delivers it
        if value is not None:
            attributes[name] = _text(value, f"{where} messageAttributes.{name:.40}")
    arn = _text(record.get("eventSourceARN") or "", f"{where} eventSourceARN")
    return Message(
        id=msg_id,
        body=body,
        source=arn.rpartition(":")[2],
        kind="queue",
        attributes=attributes,
        receive_count=_count(system.get("ApproximateReceiveCount"), f"{where} attributes.ApproximateReceiveCount"),
        sent_at=_ms_time(system.get("SentTimestamp")),
    )


def _sns_record(record: Any, i: int) -> Message:
    where = f"SNS record {i}"
    sns = record.get("Sns") if isinstance(record, dict) else None
    if not isinstance(sns, dict):
        raise EventFormatError(f"{where}: expected an object with 'Sns'; got {_describe.value(record)}")
    msg_id = _text(_require(sns, "MessageId", where), f"{where} MessageId")
    body = _text(_require(sns, "Message", where), f"{where} Message")
    attributes = {
        name: str(attr.get("Value"))
        for name, attr in _object(sns, "MessageAttributes", f"{where} Sns").items()
        if isinstance(attr, dict) and "Value" in attr
    }
    return Message(
        id=msg_id,
        body=body,
        source=str(sns.get("TopicArn") or "").rpartition(":")[2],
        kind="topic",
        attributes=attributes,
        sent_at=_soft_time(sns.get("Timestamp")),
    )


def from_aws(event: Any) -> list[Message]:
    """The messages of one Lambda invocation from SQS (a batch) or SNS (one message)."""
    records = event.get("Records") if isinstance(event, dict) else None
    if not isinstance(records, list) or not records:
        raise EventFormatError(f"expected {_AWS_EXPECTED}; got {_describe.found(event)}")
    first = records[0] if isinstance(records[0], dict) else {}
    if first.get("eventSource") == "aws:sqs":
        return [_sqs_record(r, i) for i, r in enumerate(records)]
    if first.get("EventSource") == "aws:sns" or "Sns" in first:
        return [_sns_record(r, i) for i, r in enumerate(records)]
    raise EventFormatError(f"expected {_AWS_EXPECTED}; record 0 has keys {_describe.keys(first)}")


# -- Alibaba Cloud --------------------------------------------------------------------------------
def _cloud_event(event: Any, i: int) -> Message:
    where = f"CloudEvent {i}"
    if not isinstance(event, dict):
        raise EventFormatError(f"{where}: expected an object; got {type(event).__name__}")
    data = _require(event, "data", where)
    if not isinstance(data, dict):
        raise EventFormatError(f"{where}: expected 'data' as an object; got {type(data).__name__}")
    msg_id = _text(_require(data, "messageId", f"{where} data"), f"{where} data.messageId")
    body = _require(data, "messageBody", f"{where} data")
    if not isinstance(body, str):
        # EventBridge may hand over a JSON body already parsed; give the logic text either way.
        body = json.dumps(body, separators=(",", ":"), ensure_ascii=False)
    subject = str(event.get("subject") or "")
    return Message(
        id=msg_id,
        body=body,
        source=subject.rpartition("/")[2],
        kind="queue",
        sent_at=_soft_time(event.get("time")),
    )


def _topic_json(event: Mapping[str, Any]) -> Message:
    where = "MNS topic notification"
    msg_id = _text(_require(event, "MessageId", where), f"{where} MessageId")
    body = _text(_require(event, "Message", where), f"{where} Message")
    attributes = {k: v if isinstance(v, str) else json.dumps(v) for k, v in event.items() if k not in _TOPIC_JSON_KEYS}
    return Message(
        id=msg_id,
        body=body,
        source=str(event.get("TopicName") or ""),
        kind="topic",
        attributes=attributes,
        sent_at=_ms_time(event.get("PublishTime")),
    )


def parse_ali(body: Any) -> list[Message]:
    """Like :func:`from_ali` for an already-decoded JSON value."""
    if isinstance(body, list):
        if not body:
            raise EventFormatError(f"expected {_ALI_EXPECTED}; got an empty array")
        return [_cloud_event(e, i) for i, e in enumerate(body)]
    if isinstance(body, dict):
        if "data" in body and ("specversion" in body or str(body.get("type", "")).startswith("mns:")):
            return [_cloud_event(body, 0)]
        if "TopicName" in body or "MessageId" in body:
            return [_topic_json(body)]
        raise EventFormatError(f"expected {_ALI_EXPECTED}; got keys {_describe.keys(body)}")
    raise EventFormatError(f"expected {_ALI_EXPECTED}; got {type(body).__name__}")


def from_ali(event: bytes | bytearray | str) -> list[Message]:
    """The messages of one FC invocation from an MNS queue (EventBridge) or topic (JSON format)."""
    return parse_ali(decode_json_bytes(event, _ALI_EXPECTED))


def from_ali_stream(event: bytes | bytearray | str, topic: str = "") -> list[Message]:
    """An MNS topic notification in ``STREAM`` format: no message id, so never deduplicated."""
    raw = event.encode("utf-8") if isinstance(event, str) else bytes(event)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise EventFormatError(f"expected a UTF-8 STREAM notification; got {raw[:80]!r}") from exc
    body, attributes = text, {}
    if text.startswith("{"):
        try:
            doc = json.loads(text)
        except json.JSONDecodeError:
            doc = None
        if isinstance(doc, dict) and set(doc) == {"body", "attrs"} and isinstance(doc["body"], str):
            body = doc["body"]
            attrs = doc["attrs"] if isinstance(doc["attrs"], dict) else {}
            attributes = {k: v if isinstance(v, str) else json.dumps(v) for k, v in attrs.items()}
    # A label for logs and failure reports, not an identity: equal bodies give equal labels.
    msg_id = "stream-sha256:" + hashlib.sha256(raw).hexdigest()
    return [Message(id=msg_id, body=body, source=topic, kind="topic", attributes=attributes, deduplicate=False)]
