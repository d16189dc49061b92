"""Each cloud's event payloads, built the way the platform builds them.

The shapes are those of the fixtures under tests/events/ (real payloads from the tutorial and
the cloud documentation) and docs/messaging.md; tests/localcloud/test_shapes.py checks every
builder against its fixture's keys and runs the result through the function-side parsers.

AWS events are JSON values (Lambda decodes them); Alibaba events are bytes (FC passes bytes).
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import uuid
from datetime import datetime, timezone
from typing import Any
from urllib.parse import quote_plus

UTC = timezone.utc


def iso_ms(t: datetime) -> str:
    """``2019-03-29T08:07:41.393Z``, the form S3, SNS and EventBridge use."""
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


def iso_s(t: datetime) -> str:
    """``2026-11-24T10:05:00Z``, the Scheduler placeholder's and the FC timer's form."""
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _ms(t: datetime) -> int:
    return int(t.timestamp() * 1000)


def _hex_id(n: int = 12) -> str:
    return secrets.token_hex(n).upper()


# --------------------------------------------------------------------------
# Object created
# --------------------------------------------------------------------------


def s3_record(
    *, bucket: str, key: str, size: int, etag: str, event_name: str, when: datetime, region: str, config_id: str
) -> dict[str, Any]:
    """One S3 ``Records`` entry; the key URL-encoded as S3 does (space as ``+``)."""
    return {
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "awsRegion": region,
        "eventTime": iso_ms(when),
        "eventName": event_name,
        "userIdentity": {"principalId": "AWS:AIDALOCALCLOUD"},
        "requestParameters": {"sourceIPAddress": "127.0.0.1"},
        "responseElements": {
            "x-amz-request-id": _hex_id(8),
            "x-amz-id-2": base64.b64encode(secrets.token_bytes(48)).decode(),
        },
        "s3": {
            "s3SchemaVersion": "1.0",
            "configurationId": config_id,
            "bucket": {
                "name": bucket,
                "ownerIdentity": {"principalId": "LOCALCLOUDOWNER"},
                "arn": f"arn:aws:s3:::{bucket}",
            },
            "object": {
                "key": quote_plus(key, safe="/"),
                "size": size,
                "eTag": etag.strip('"').lower(),
                "sequencer": f"{_ms(when):016X}{secrets.randbelow(256):02X}",
            },
        },
    }


def oss_event(
    *, bucket: str, key: str, size: int, etag: str, event_name: str, when: datetime, region: str, account: str
) -> dict[str, Any]:
    """One OSS ``events`` entry; the key exactly as stored (OSS does not encode it)."""
    return {
        "eventName": event_name,
        "eventSource": "acs:oss",
        "eventTime": iso_ms(when),
        "eventVersion": "1.0",
        "oss": {
            "bucket": {
                "arn": f"acs:oss:{region}:{account}:{bucket}",
                "name": bucket,
                "ownerIdentity": account,
                "virtualBucket": "",
            },
            "object": {"deltaSize": size, "eTag": etag.strip('"').upper(), "key": key, "size": size},
            "ossSchemaVersion": "1.0",
            "ruleId": secrets.token_hex(20),
        },
        "region": region,
        "requestParameters": {"sourceIPAddress": "127.0.0.1"},
        "responseElements": {"requestId": _hex_id(12)},
        "userIdentity": {"principalId": account},
    }


# --------------------------------------------------------------------------
# Queues
# --------------------------------------------------------------------------


def sqs_record(message: dict[str, Any], *, queue_arn: str, region: str) -> dict[str, Any]:
    """One SQS ``Records`` entry from a ReceiveMessage result (boto3's shape)."""
    attributes = message.get("Attributes", {})
    record: dict[str, Any] = {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": {
            name: attributes[name]
            for name in ("ApproximateReceiveCount", "SentTimestamp", "SenderId", "ApproximateFirstReceiveTimestamp")
            if name in attributes
        },
        "messageAttributes": {},
        "md5OfBody": message.get("MD5OfBody") or hashlib.md5(message["Body"].encode()).hexdigest(),
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": region,
    }
    for name, value in message.get("MessageAttributes", {}).items():
        entry: dict[str, Any] = {"stringListValues": [], "binaryListValues": [], "dataType": value["DataType"]}
        if "StringValue" in value:
            entry["stringValue"] = value["StringValue"]
        if "BinaryValue" in value:
            raw = value["BinaryValue"]
            entry["binaryValue"] = base64.b64encode(raw).decode() if isinstance(raw, bytes) else raw
        record["messageAttributes"][name] = entry
    if message.get("MD5OfMessageAttributes"):
        # Lambda puts it between messageAttributes and md5OfBody.
        record = {
            **{k: record[k] for k in ("messageId", "receiptHandle", "body", "attributes", "messageAttributes")},
            "md5OfMessageAttributes": message["MD5OfMessageAttributes"],
            **{k: record[k] for k in ("md5OfBody", "eventSource", "eventSourceARN", "awsRegion")},
        }
    return record


def mns_queue_cloudevent(
    *,
    message_id: str,
    body: str,
    sent: datetime,
    now: datetime,
    queue: str,
    bus: str,
    region: str,
    account: str,
) -> dict[str, Any]:
    """One CloudEvent of an EventBridge MNS-queue source (an event-streaming batch is a list of them)."""
    return {
        "id": str(uuid.uuid4()),
        "source": bus,
        "specversion": "1.0",
        "type": "mns:Queue:SendMessage",
        "datacontenttype": "application/json;charset=utf-8",
        "subject": f"acs:mns:{region}:{account}:queues/{queue}",
        "time": iso_ms(sent),
        "aliyunaccountid": account,
        "aliyunpublishtime": iso_ms(now),
        "aliyunoriginalaccountid": account,
        "aliyuneventbusname": bus,
        "aliyunregionid": region,
        "aliyunpublishaddr": "127.0.0.1",
        "data": {"requestId": _hex_id(12), "messageId": message_id, "messageBody": body},
    }


def decode_mns_body(body: str) -> str:
    """The trigger's ``IsBase64Decode: true``: base64 text (the SDK's and our driver's default
    encoding) becomes the text it carries; anything that is not base64 of UTF-8 passes unchanged."""
    try:
        raw = base64.b64decode(body, validate=True)
        text = raw.decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        return body
    return text if base64.b64encode(raw).decode() == body.strip() else body


# --------------------------------------------------------------------------
# Topics
# --------------------------------------------------------------------------


def sns_event(
    *,
    topic_arn: str,
    message_id: str,
    body: str,
    attributes: dict[str, str],
    when: datetime,
    region: str,
    subject: str | None = None,
) -> dict[str, Any]:
    """What SNS delivers to a Lambda subscriber: one ``Records`` entry."""
    host = f"https://sns.{region}.amazonaws.com"
    return {
        "Records": [
            {
                "EventVersion": "1.0",
                "EventSubscriptionArn": f"{topic_arn}:{uuid.uuid4()}",
                "EventSource": "aws:sns",
                "Sns": {
                    "SignatureVersion": "1",
                    "Timestamp": iso_ms(when),
                    "Signature": base64.b64encode(secrets.token_bytes(64)).decode(),
                    "SigningCertUrl": f"{host}/SimpleNotificationService-localcloud.pem",
                    "MessageId": message_id,
                    "Message": body,
                    "MessageAttributes": {k: {"Type": "String", "Value": v} for k, v in attributes.items()},
                    "Type": "Notification",
                    "UnsubscribeUrl": f"{host}/?Action=Unsubscribe&SubscriptionArn={topic_arn}",
                    "TopicArn": topic_arn,
                    "Subject": subject,
                },
            }
        ]
    }


def mns_topic_notification(
    *,
    topic: str,
    message_id: str,
    body: str,
    attributes: dict[str, str],
    when: datetime,
    account: str,
    subscription: str,
    notify_format: str,
) -> bytes:
    """An MNS topic push to FC: JSON (8 standard keys, attributes as extra keys) or STREAM."""
    if notify_format.upper() == "STREAM":
        if not attributes:
            return body.encode("utf-8")
        return json.dumps({"body": body, "attrs": attributes}).encode("utf-8")
    doc: dict[str, Any] = {
        "TopicOwner": account,
        "Message": body,
        "Subscriber": account,
        "PublishTime": _ms(when),
        "SubscriptionName": subscription,
        "MessageMD5": hashlib.md5(body.encode("utf-8")).hexdigest().upper(),
        "TopicName": topic,
        "MessageId": message_id,
    }
    for k, v in attributes.items():
        doc.setdefault(k, v)
    return json.dumps(doc).encode("utf-8")


# --------------------------------------------------------------------------
# Schedules
# --------------------------------------------------------------------------

SCHEDULED_TIME = "<aws.scheduler.scheduled-time>"


def scheduler_input(payload: str, when: datetime) -> Any:
    """EventBridge Scheduler's templated target input: the placeholder replaced, then the JSON text
    is the event Lambda decodes (a non-JSON input arrives as a JSON string)."""
    text = payload.replace(SCHEDULED_TIME, iso_s(when))
    try:
        return json.loads(text)
    except ValueError:
        return text


def fc_timer_event(*, trigger: str, payload: str, when: datetime) -> bytes:
    """An FC timer trigger's event: ``{"triggerTime", "triggerName", "payload"}``."""
    return json.dumps({"triggerTime": iso_s(when), "triggerName": trigger, "payload": payload}).encode()
