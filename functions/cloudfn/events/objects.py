"""Object-created notifications as a list of neutral :class:`ObjectCreated` records.

Both clouds deliver a batch (a list of records), usually of one:

- S3 invokes Lambda with ``{"Records": [{"eventSource": "aws:s3", "eventName":
  "ObjectCreated:Put", "s3": {"bucket": {"name"}, "object": {"key", "size", "eTag"}}}]}``.
  The key is URL-encoded the way HTML forms are (space as ``+``, then percent-encoding of
  UTF-8), as the S3 docs state, so it is decoded with ``unquote_plus``.
- OSS invokes FC with the bytes of ``{"events": [{"eventSource": "acs:oss", "eventName":
  "ObjectCreated:PutObject", "oss": {"bucket": {"name"}, "object": {"key", "size",
  "eTag"}}}]}``. No OSS or FC document says the key is encoded, and Alibaba's own FC samples
  pass ``oss.object.key`` straight to ``get_object``; decoding it would corrupt keys that
  contain ``+`` or ``%``. So the OSS key is used exactly as delivered (``raw_key`` keeps what
  arrived on both clouds). See docs/storage.md for the evidence and what is still unverified.

ETags are normalised to lower-case hex without quotes (S3 sends lower case, OSS upper case).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import unquote_plus

from cloudfn.entry import decode_json_bytes
from cloudfn.errors import EventFormatError
from cloudfn.events import _describe
from cloudfn.events._time import parse_time

_AWS_EXPECTED = "an S3 notification {Records: [{eventSource: 'aws:s3', eventName: 'ObjectCreated:*', s3: {...}}]}"
_ALI_EXPECTED = "an OSS trigger event {events: [{eventSource: 'acs:oss', eventName: 'ObjectCreated:*', oss: {...}}]}"


@dataclass(frozen=True)
class ObjectCreated:
    bucket: str
    key: str
    size: int | None
    etag: str
    time: datetime
    cloud: str
    event_name: str = ""
    raw_key: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "bucket": self.bucket,
            "key": self.key,
            "size": self.size,
            "etag": self.etag,
            "time": self.time.isoformat(),
            "cloud": self.cloud,
            "event_name": self.event_name,
        }


def _etag(value: object) -> str:
    return str(value or "").strip('"').lower()


def _size(value: object, where: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise EventFormatError(f"expected {where} as a non-negative integer; got {_describe.value(value)}")
    return value


def _section(record: dict[str, Any], name: str, index: int) -> tuple[str, dict[str, Any]]:
    """``(bucket name, object dict)`` of record ``index`` or a precise error."""
    body = record.get(name)
    bucket = body.get("bucket") if isinstance(body, dict) else None
    obj = body.get("object") if isinstance(body, dict) else None
    if not isinstance(bucket, dict) or not isinstance(obj, dict):
        raise EventFormatError(
            f"expected record {index} to have {name}.bucket and {name}.object; got {_describe.value(body)}"
        )
    name_ = bucket.get("name")
    if not isinstance(name_, str) or not name_:
        raise EventFormatError(f"expected record {index} {name}.bucket.name as a string; got {_describe.value(name_)}")
    key = obj.get("key")
    if not isinstance(key, str) or not key:
        raise EventFormatError(
            f"expected record {index} {name}.object.key as a non-empty string; got {_describe.value(key)}"
        )
    return name_, obj


def _event_name(record: dict[str, Any], index: int) -> str:
    name = record.get("eventName")
    if not isinstance(name, str) or not name.startswith("ObjectCreated:"):
        raise EventFormatError(f"expected record {index} eventName 'ObjectCreated:*'; got {_describe.value(name)}")
    return name


def from_aws(event: Any) -> list[ObjectCreated]:
    """The records of an S3 notification (an ``s3:TestEvent`` yields no record)."""
    if not isinstance(event, dict):
        raise EventFormatError(f"expected {_AWS_EXPECTED}; got {type(event).__name__}")
    if event.get("Event") == "s3:TestEvent":
        return []  # sent once when a notification configuration is written; not an object
    records = event.get("Records")
    if not isinstance(records, list) or not records:
        raise EventFormatError(f"expected {_AWS_EXPECTED}; got keys {_describe.keys(event)}")
    return _records(records, "aws:s3", "s3", "aws", unquote_plus)


def from_ali(event: bytes | bytearray | str) -> list[ObjectCreated]:
    """The records of an OSS trigger event (FC passes the JSON as bytes)."""
    body = decode_json_bytes(event, _ALI_EXPECTED)
    records = body.get("events") if isinstance(body, dict) else None
    if not isinstance(records, list) or not records:
        raise EventFormatError(f"expected {_ALI_EXPECTED}; got {_describe.found(body)}")
    # OSS delivers the key as stored: decoding would corrupt keys holding "+" or "%".
    return _records(records, "acs:oss", "oss", "ali", lambda key: key)


def _records(
    records: list[Any], source: str, section: str, cloud: str, decode_key: Callable[[str], str]
) -> list[ObjectCreated]:
    """Both clouds' records share one layout: eventSource, eventName, eventTime, <section>.{bucket,object}."""
    out = []
    for i, record in enumerate(records):
        if not isinstance(record, dict) or record.get("eventSource") != source:
            found = _describe.value(record.get("eventSource")) if isinstance(record, dict) else type(record).__name__
            raise EventFormatError(f"expected record {i} with eventSource {source!r}; got {found}")
        name = _event_name(record, i)
        bucket, obj = _section(record, section, i)
        raw = obj["key"]
        out.append(
            ObjectCreated(
                bucket=bucket,
                key=decode_key(raw),
                size=_size(obj.get("size"), f"record {i} {section}.object.size"),
                etag=_etag(obj.get("eTag")),
                time=parse_time(record.get("eventTime"), f"record {i} eventTime"),
                cloud=cloud,
                event_name=name,
                raw_key=raw,
            )
        )
    return out
