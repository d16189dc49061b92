"""Object-created events from each cloud's real payloads become the same neutral records."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
from conftest import EVENTS

from cloudfn.errors import EventFormatError
from cloudfn.events import objects
from cloudfn.events.objects import ObjectCreated


def _aws(name: str) -> dict:
    return json.loads((EVENTS / "aws" / name).read_text())


def _ali(name: str) -> bytes:
    return (EVENTS / "ali" / name).read_bytes()  # FC hands the handler bytes


def test_tutorial_events_give_the_same_record_on_both_clouds() -> None:
    [aws] = objects.from_aws(_aws("s3_put.json"))
    [ali] = objects.from_ali(_ali("oss_put.json"))
    assert aws == ObjectCreated(
        bucket="storage-bucket20190329072127281200000001",
        key="test.txt",
        size=15,
        etag="032447899e6c18dd3e30388764c0ff21",
        time=datetime(2019, 3, 29, 8, 7, 41, 393000, tzinfo=timezone.utc),
        cloud="aws",
        event_name="ObjectCreated:Put",
        raw_key="test.txt",
    )
    assert ali == ObjectCreated(
        bucket="storage-bucket-20190329",
        key="test.txt",
        size=15,
        etag="032447899e6c18dd3e30388764c0ff21",  # OSS sends upper case; normalised
        time=datetime(2019, 3, 29, 14, 40, 11, tzinfo=timezone.utc),
        cloud="ali",
        event_name="ObjectCreated:PostObject",
        raw_key="test.txt",
    )
    assert {k for k in aws.as_dict()} == {"bucket", "key", "size", "etag", "time", "cloud", "event_name"}
    assert aws.as_dict()["time"] == "2019-03-29T08:07:41.393000+00:00"


def test_s3_keys_are_form_url_decoded_in_a_batch() -> None:
    records = objects.from_aws(_aws("s3_encoded_keys.json"))
    assert [r.key for r in records] == [
        "uploads/my holiday photo (2).jpg",  # '+' is a space in S3 keys
        "reports/a+b=c % d/报告-été.pdf",  # '%2B' is a real plus; UTF-8 percent-encoding
    ]
    assert records[0].raw_key == "uploads/my+holiday+photo+%282%29.jpg"
    assert records[1].size == 73400320
    assert records[1].etag == "e2b5a6b5f6b7d6f5c8f52a3a4d1b9b1c-14"
    assert records[1].event_name == "ObjectCreated:CompleteMultipartUpload"


def test_oss_keys_are_used_exactly_as_delivered() -> None:
    records = objects.from_ali(_ali("oss_special_keys.json"))
    # Decoding would turn '+' into a space and '%25' into '%': OSS keys are not decoded.
    assert [r.key for r in records] == ["uploads/my holiday photo (2)+final.jpg", "reports/100%25 done/报告-été.pdf"]
    assert [r.key for r in records] == [r.raw_key for r in records]
    assert [r.bucket for r in records] == ["storage-a4f6de28", "storage-a4f6de28"]
    assert records[1].etag == "e2b5a6b5f6b7d6f5c8f52a3a4d1b9b1c-14"


def test_ali_accepts_str_and_bytearray() -> None:
    raw = _ali("oss_put.json")
    assert objects.from_ali(raw.decode()) == objects.from_ali(bytearray(raw)) == objects.from_ali(raw)


def test_s3_test_event_yields_no_record() -> None:
    event = {
        "Service": "Amazon S3",
        "Event": "s3:TestEvent",
        "Time": "2024-01-01T00:00:00.000Z",
        "Bucket": "b",
        "RequestId": "r",
        "HostId": "h",
    }
    assert objects.from_aws(event) == []


@pytest.mark.parametrize(
    ("event", "message"),
    [
        ([], r"expected an S3 notification .*; got list"),
        ({"Records": []}, r"expected an S3 notification .*; got keys \['Records'\]"),
        ({"Records": [{"eventSource": "aws:sqs"}]}, r"record 0 with eventSource 'aws:s3'; got 'aws:sqs'"),
        (
            {"Records": [{"eventSource": "aws:s3", "eventName": "ObjectRemoved:Delete"}]},
            r"record 0 eventName 'ObjectCreated:\*'; got 'ObjectRemoved:Delete'",
        ),
        (
            {"Records": [{"eventSource": "aws:s3", "eventName": "ObjectCreated:Put", "s3": {}}]},
            r"record 0 to have s3.bucket and s3.object",
        ),
    ],
)
def test_bad_aws_events_say_what_was_expected(event: object, message: str) -> None:
    with pytest.raises(EventFormatError, match=message):
        objects.from_aws(event)


def test_bad_aws_record_fields() -> None:
    event = _aws("s3_put.json")
    event["Records"][0]["s3"]["object"]["size"] = "15"
    with pytest.raises(EventFormatError, match=r"record 0 s3.object.size as a non-negative integer; got '15'"):
        objects.from_aws(event)
    event = _aws("s3_put.json")
    event["Records"][0]["s3"]["object"]["key"] = ""
    with pytest.raises(EventFormatError, match=r"s3.object.key as a non-empty string"):
        objects.from_aws(event)
    event = _aws("s3_put.json")
    event["Records"][0]["eventTime"] = "yesterday"
    with pytest.raises(EventFormatError, match=r"record 0 eventTime as an ISO-8601 time; got 'yesterday'"):
        objects.from_aws(event)


@pytest.mark.parametrize(
    ("event", "message"),
    [
        (b"\xff\xfe", r"as UTF-8 JSON bytes"),
        (b"[]", r"expected an OSS trigger event .*; got list"),
        (b'{"events": []}', r"got \['events'\]"),
        (b'{"events": [{"eventSource": "acs:mns"}]}', r"record 0 with eventSource 'acs:oss'; got 'acs:mns'"),
        (
            b'{"events": [{"eventSource": "acs:oss", "eventName": "ObjectRemoved:DeleteObject"}]}',
            r"eventName 'ObjectCreated:\*'; got 'ObjectRemoved:DeleteObject'",
        ),
    ],
)
def test_bad_ali_events_say_what_was_expected(event: bytes, message: str) -> None:
    with pytest.raises(EventFormatError, match=message):
        objects.from_ali(event)
