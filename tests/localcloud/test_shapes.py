"""The local cloud's event payloads have the fixtures' shapes (real payloads from the docs and the
tutorial, tests/events/) and go through the function-side parsers to the values put in."""

from __future__ import annotations

import json
from datetime import datetime, timezone

from events.load import ali_event, aws_event

from cloudfn.events import messages, objects, timer
from localcloud import shapes

WHEN = datetime(2026, 11, 24, 10, 5, 0, 250000, tzinfo=timezone.utc)


def _keys(doc: dict) -> set[str]:
    return set(doc)


def test_s3_record_matches_the_fixture_and_parses() -> None:
    rec = shapes.s3_record(
        bucket="images-1",
        key="images/my photo+1.jpg",
        size=15,
        etag="ABCDEF",
        event_name="ObjectCreated:Put",
        when=WHEN,
        region="us-east-1",
        config_id="c",
    )
    fixture = aws_event("s3_put.json")["Records"][0]
    assert _keys(rec) == _keys(fixture)
    assert _keys(rec["s3"]) == _keys(fixture["s3"]) and _keys(rec["s3"]["object"]) == _keys(fixture["s3"]["object"])
    (parsed,) = objects.from_aws({"Records": [rec]})
    assert (parsed.bucket, parsed.key, parsed.size, parsed.etag) == ("images-1", "images/my photo+1.jpg", 15, "abcdef")
    assert rec["eventTime"] == "2026-11-24T10:05:00.250Z"


def test_oss_event_matches_the_fixture_and_parses() -> None:
    ev = shapes.oss_event(
        bucket="images-1",
        key="images/my photo+1.jpg",
        size=15,
        etag="abcdef",
        event_name="ObjectCreated:PutObject",
        when=WHEN,
        region="cn-hangzhou",
        account="5939306421830868",
    )
    fixture = json.loads(ali_event("oss_put.json"))["events"][0]
    assert _keys(ev) == _keys(fixture) and _keys(ev["oss"]) == _keys(fixture["oss"])
    assert _keys(ev["oss"]["object"]) == _keys(fixture["oss"]["object"])
    (parsed,) = objects.from_ali(json.dumps({"events": [ev]}).encode())
    assert (parsed.bucket, parsed.key, parsed.size) == ("images-1", "images/my photo+1.jpg", 15)


def test_sqs_record_matches_the_fixture_and_parses() -> None:
    received = {
        "MessageId": "m-1",
        "ReceiptHandle": "r-1",
        "MD5OfBody": "x",
        "Body": "hello",
        "Attributes": {
            "ApproximateReceiveCount": "2",
            "SentTimestamp": "1545082649183",
            "SenderId": "AID",
            "ApproximateFirstReceiveTimestamp": "1545082649185",
        },
        "MessageAttributes": {"order": {"StringValue": "42", "DataType": "Number"}},
        "MD5OfMessageAttributes": "y",
    }
    rec = shapes.sqs_record(received, queue_arn="arn:aws:sqs:us-east-1:1:q", region="us-east-1")
    assert list(rec) == list(aws_event("sqs_tutorial.json")["Records"][0])  # same keys, same order
    (msg,) = messages.from_aws({"Records": [rec]})
    assert (msg.id, msg.body, msg.receive_count, msg.attributes) == ("m-1", "hello", 2, {"order": "42"})


def test_mns_cloudevent_batch_matches_the_fixture_and_parses() -> None:
    ev = shapes.mns_queue_cloudevent(
        message_id="M1",
        body=shapes.decode_mns_body("U2FtcGxlIGNvbnRlbnQu"),
        sent=WHEN,
        now=WHEN,
        queue="q",
        bus="MNS-f-q",
        region="cn-hangzhou",
        account="1",
    )
    fixture = json.loads(ali_event("mns_queue_batch.json"))[0]
    assert list(ev) == list(fixture) and list(ev["data"]) == list(fixture["data"])
    (msg,) = messages.from_ali(json.dumps([ev]).encode())
    assert (msg.id, msg.body) == ("M1", "Sample content.")


def test_mns_body_decoding_leaves_non_base64_alone() -> None:
    assert shapes.decode_mns_body("aGVsbG8=") == "hello"
    assert shapes.decode_mns_body("hello world") == "hello world"
    assert shapes.decode_mns_body("abcd") == "abcd"  # base64 of bytes that are not UTF-8 text


def test_sns_event_matches_the_fixture_and_parses() -> None:
    ev = shapes.sns_event(
        topic_arn="arn:aws:sns:us-east-1:1:t",
        message_id="id-1",
        body="hi",
        attributes={"k": "v"},
        when=WHEN,
        region="us-east-1",
        subject="S",
    )
    fixture = aws_event("sns_notification.json")
    assert _keys(ev["Records"][0]) == _keys(fixture["Records"][0])
    assert _keys(ev["Records"][0]["Sns"]) == _keys(fixture["Records"][0]["Sns"])
    (msg,) = messages.from_aws(ev)
    assert (msg.id, msg.body, msg.attributes) == ("id-1", "hi", {"k": "v"})


def test_mns_topic_json_and_stream() -> None:
    body = shapes.mns_topic_notification(
        topic="t",
        message_id="ID",
        body="Sample content.",
        attributes={},
        when=WHEN,
        account="5939306421830868",
        subscription="s",
        notify_format="JSON",
    )
    doc = json.loads(body)
    assert _keys(doc) == _keys(json.loads(ali_event("mns_topic_json_tutorial.json")))
    assert doc["MessageMD5"] == "B58E1D0A86521415D25B85B89F6AD6CD"  # the tutorial fixture's, same body
    (msg,) = messages.from_ali(body)
    assert (msg.id, msg.body) == ("ID", "Sample content.")
    stream = shapes.mns_topic_notification(
        topic="t",
        message_id="ID",
        body="x",
        attributes={},
        when=WHEN,
        account="1",
        subscription="s",
        notify_format="STREAM",
    )
    assert stream == b"x"


def test_schedule_payloads_parse_as_ticks() -> None:
    aws_input = '{"payload":{"message":"m"},"schedule":"s","time":"<aws.scheduler.scheduled-time>"}'
    event = shapes.scheduler_input(aws_input, WHEN)
    assert event == {"payload": {"message": "m"}, "schedule": "s", "time": "2026-11-24T10:05:00Z"}
    assert _keys(event) == _keys(aws_event("scheduler_input.json"))
    tick = timer.from_aws(event)
    assert (tick.schedule, tick.payload, tick.time.minute) == ("s", {"message": "m"}, 5)
    fixture = json.loads(ali_event("timer_envelope.json"))
    fc = shapes.fc_timer_event(trigger=fixture["triggerName"], payload=fixture["payload"], when=WHEN)
    assert json.loads(fc) == fixture | {"triggerTime": "2026-11-24T10:05:00Z"}
    tick = timer.from_ali(fc)
    assert (tick.schedule, tick.payload) == ("timer-every-5m", {"message": "some-custom-payload"})
