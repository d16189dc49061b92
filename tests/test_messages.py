"""Message events (per-cloud fixtures), failure bookkeeping and idempotency, in process."""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from cloudfn.batch import (
    BatchFailedError,
    InMemoryIdempotencyStore,
    ObjectStoreIdempotency,
    batch_logic,
    process_batch,
    render_ali,
    render_aws,
)
from cloudfn.errors import DriverError, EventFormatError
from cloudfn.events import messages
from cloudfn.events.messages import Message
from cloudfn.invocation import Invocation
from cloudfn.testing import MemoryObjectStore

EVENTS = Path(__file__).parent / "events"


def aws_event(name: str) -> Any:
    return json.loads((EVENTS / "aws" / name).read_text())


def ali_bytes(name: str) -> bytes:
    return (EVENTS / "ali" / name).read_bytes()


def inv(cloud: str = "aws") -> Invocation:
    return Invocation(request_id="req-1", function_name="fn", cloud=cloud, logger=logging.getLogger("test"))  # type: ignore[arg-type]


# -- parsing ---------------------------------------------------------------------------------------
def test_sqs_tutorial_event() -> None:
    [m] = messages.from_aws(aws_event("sqs_tutorial.json"))
    assert m == Message(
        id="23d47066-cd46-47a8-819d-f97bc9c2abce",
        body="Sample content.",
        source="notification-queue",
        kind="queue",
        attributes={"sample-attribute": "sample-value"},
        receive_count=1,
        sent_at=datetime(2019, 4, 1, 3, 10, 17, 716000, tzinfo=timezone.utc),
    )


def test_sqs_batch_keeps_order_counts_and_attribute_kinds() -> None:
    batch = messages.from_aws(aws_event("sqs_batch.json"))
    assert [m.id for m in batch] == ["059f36b4-87a3-44ab-83d2-661975830a7d", "2e1424d4-f796-459a-8184-9c92662be6da"]
    assert [m.receive_count for m in batch] == [1, 3]
    assert batch[1].attributes == {"order": "42", "blob": "AQID"}
    assert {m.source for m in batch} == {"my-queue"}


def test_sns_event() -> None:
    [m] = messages.from_aws(aws_event("sns_notification.json"))
    assert (m.id, m.body, m.source, m.kind, m.receive_count) == (
        "95df01b4-ee98-5cb9-9903-4c221d41eb5e",
        "Hello from SNS!",
        "sns-lambda",
        "topic",
        None,
    )
    assert m.attributes == {"Test": "TestString", "TestBinary": "TestBinary"}
    assert m.sent_at == datetime(2019, 1, 2, 12, 45, 7, tzinfo=timezone.utc)


def test_mns_topic_json_from_the_tutorial() -> None:
    [m] = messages.from_ali(ali_bytes("mns_topic_json_tutorial.json"))
    assert (m.id, m.body, m.source, m.kind, dict(m.attributes)) == (
        "0BC20AA75F1F3D4EAC69031D69432ECE",
        "Sample content.",
        "notification-mns-topic",
        "topic",
        {},
    )
    assert m.sent_at == datetime(2019, 4, 1, 6, 30, 59, 139000, tzinfo=timezone.utc)


def test_mns_topic_json_attributes_are_the_extra_keys() -> None:
    [m] = messages.from_ali(ali_bytes("mns_topic_json_attrs.json"))
    assert m.attributes == {"key": "value"} and m.body == "hello topic"


def test_mns_topic_stream_formats() -> None:
    [plain] = messages.from_ali_stream(ali_bytes("mns_topic_stream.txt"), topic="t")
    [attrs] = messages.from_ali_stream(ali_bytes("mns_topic_stream_attrs.json"))
    assert (plain.body, plain.source, dict(plain.attributes)) == ("hello topic", "t", {})
    assert attrs.body == "hello topic" and attrs.attributes == {"Extend": '{"key":"value"}'}
    # No id in STREAM: the label is derived from the content, and the message is never deduplicated.
    assert plain.id.startswith("stream-sha256:") and plain.id == messages.from_ali_stream(b"hello topic")[0].id
    assert (plain.deduplicate, attrs.deduplicate) == (False, False)
    assert messages.from_ali(ali_bytes("mns_topic_json_tutorial.json"))[0].deduplicate is True


@pytest.mark.parametrize(
    "store",
    [InMemoryIdempotencyStore, lambda: ObjectStoreIdempotency(MemoryObjectStore("markers"))],
    ids=["in-memory", "durable"],
)
def test_two_stream_publications_with_the_same_body_both_run(store) -> None:
    """Two separate publications of "ping" in STREAM format are two messages, not one retried."""
    idempotency = store()
    ran: list[str] = []
    logic = batch_logic(lambda m, _inv: ran.append(m.body), idempotency)
    for _ in range(2):
        result = logic(messages.from_ali_stream(b"ping", topic="alerts"), inv("ali"))
        assert (result.succeeded, result.skipped) == ([messages.from_ali_stream(b"ping")[0].id], [])
    assert ran == ["ping", "ping"]
    # A JSON-format delivery carries MNS's MessageId: its redelivery is still skipped.
    json_batch = messages.from_ali(ali_bytes("mns_topic_json_tutorial.json"))
    logic(json_batch, inv("ali"))
    assert logic(json_batch, inv("ali")).skipped == [json_batch[0].id]


def test_mns_queue_single_cloudevent() -> None:
    [m] = messages.from_ali(ali_bytes("mns_queue_cloudevent.json"))
    assert (m.id, m.body, m.source, m.kind, m.receive_count) == (
        "C6DB60D1574661357FA227277445****",
        "TEST",
        "zeus",
        "queue",
        None,
    )
    assert m.sent_at == datetime(2021, 4, 8, 6, 28, 17, 93000, tzinfo=timezone.utc)


def test_mns_queue_batch_of_cloudevents() -> None:
    batch = messages.from_ali(ali_bytes("mns_queue_batch.json"))
    assert [m.id for m in batch] == ["0A1B2C3D4E5F60718293A4B5C6D7E8F9", "1B2C3D4E5F60718293A4B5C6D7E8F90A"]
    assert batch[0].source == "notification-queue-1a2b3c4d"
    # An already-parsed JSON body is handed over as text.
    assert batch[1].body == '{"order":42}' and batch[1].json() == {"order": 42}
    # A 1-digit fraction Python 3.10 can't parse must not reject the batch.
    assert batch[1].sent_at is None or batch[1].sent_at.year == 2026


@pytest.mark.parametrize(
    ("event", "needles"),
    [
        ({}, ["SQS batch", "[]"]),
        ({"Records": []}, ["SQS batch"]),
        ([], ["SQS batch", "list"]),
        ({"Records": [{"eventSource": "aws:s3"}]}, ["record 0", "eventSource"]),
        ({"Records": [{"eventSource": "aws:sqs", "body": "x"}]}, ["SQS record 0", "'messageId'"]),
        ({"Records": [{"eventSource": "aws:sqs", "messageId": "a", "body": "x"}, "junk"]}, ["SQS record 1", "object"]),
        ({"Records": [{"eventSource": "aws:sqs", "messageId": "a", "body": 5}]}, ["SQS record 0 body", "string"]),
        ({"Records": [{"EventSource": "aws:sns", "Sns": {"MessageId": "m"}}]}, ["SNS record 0", "'Message'"]),
    ],
)
def test_malformed_aws_events_say_what_was_expected(event: Any, needles: list[str]) -> None:
    with pytest.raises(EventFormatError) as err:
        messages.from_aws(event)
    for needle in needles:
        assert needle in str(err.value)


@pytest.mark.parametrize(
    ("raw", "needles"),
    [
        (b"not json", ["UTF-8 JSON", "not json"]),
        (b"\xff\xfe", ["UTF-8 JSON"]),
        (b"[]", ["empty array"]),
        (b'{"hello": 1}', ["CloudEvent", "['hello']"]),
        (b"42", ["int"]),
        (b'[{"specversion": "1.0", "data": {"messageBody": "x"}}]', ["CloudEvent 0 data", "'messageId'"]),
        (b'[{"specversion": "1.0", "data": "x"}]', ["CloudEvent 0", "'data' as an object"]),
        (b'{"TopicName": "t", "Message": "x"}', ["MNS topic notification", "'MessageId'"]),
    ],
)
def test_malformed_ali_events_say_what_was_expected(raw: bytes, needles: list[str]) -> None:
    with pytest.raises(EventFormatError) as err:
        messages.from_ali(raw)
    for needle in needles:
        assert needle in str(err.value)


def test_message_json_error_names_the_message() -> None:
    m = Message(id="m1", body="{oops", source="q", kind="queue")
    with pytest.raises(EventFormatError, match="m1"):
        m.json()


# -- failure bookkeeping ------------------------------------------------------------------------------
def _queue_batch(n: int) -> list[Message]:
    return [Message(id=f"m{i}", body=f"body {i}", source="q", kind="queue", receive_count=1) for i in range(n)]


def _failing_on(bad: set[str], seen: list[str]):
    def handle(m: Message, _inv: Invocation) -> None:
        seen.append(m.id)
        if m.id in bad:
            raise RuntimeError(f"cannot process {m.id}")

    return handle


def test_sqs_batch_reports_only_the_failed_ids(caplog: pytest.LogCaptureFixture) -> None:
    seen: list[str] = []
    result = process_batch(_queue_batch(5), _failing_on({"m1", "m3"}, seen), inv("aws"))
    assert seen == ["m0", "m1", "m2", "m3", "m4"]  # a failure does not stop the batch
    assert (result.failed, result.succeeded) == (["m1", "m3"], ["m0", "m2", "m4"])
    assert render_aws(result) == {"batchItemFailures": [{"itemIdentifier": "m1"}, {"itemIdentifier": "m3"}]}
    assert "m1" in caplog.text and "cannot process m1" in caplog.text


def test_sqs_batch_all_ok_reports_an_empty_list() -> None:
    result = process_batch(_queue_batch(3), _failing_on(set(), []), inv("aws"))
    assert render_aws(result) == {"batchItemFailures": []}


def test_sns_failure_raises_so_lambda_retries() -> None:
    [m] = messages.from_aws(aws_event("sns_notification.json"))
    result = process_batch([m], _failing_on({m.id}, []), inv("aws"))
    with pytest.raises(BatchFailedError, match=m.id):
        render_aws(result)
    assert render_aws(process_batch([m], _failing_on(set(), []), inv("aws"))) is None


def test_ali_retry_of_a_whole_batch_processes_each_message_once() -> None:
    """FC has no partial response: the batch fails, is pushed again, and the store skips the done."""
    store = InMemoryIdempotencyStore()
    logic = batch_logic(_failing_on({"m2"}, seen := []), store)
    batch = _queue_batch(4)
    with pytest.raises(BatchFailedError, match="1 of 4 messages failed: m2"):
        render_ali(logic(batch, inv("ali")))
    # Second push of the same batch, the failure now fixed.
    logic_fixed = batch_logic(_failing_on(set(), seen), store)
    result = logic_fixed(batch, inv("ali"))
    assert result.skipped == ["m0", "m1", "m3"] and result.succeeded == ["m2"]
    assert seen == ["m0", "m1", "m2", "m3", "m2"]  # every message processed successfully exactly once
    assert json.loads(render_ali(result)) == {"processed": 1, "skipped": 3}


def test_in_memory_store_is_bounded_and_expires() -> None:
    store = InMemoryIdempotencyStore(max_entries=2)
    for key in ("a", "b", "c"):
        store.record(key)
    assert (store.seen("a"), store.seen("b"), store.seen("c")) == (False, True, True)
    expiring = InMemoryIdempotencyStore(ttl_s=0.0)
    expiring.record("x")
    assert not expiring.seen("x")


def test_object_store_idempotency_is_shared_between_instances() -> None:
    """Two warm instances over one bucket: the second skips what the first finished."""
    bucket = MemoryObjectStore("markers")
    first, second = ObjectStoreIdempotency(bucket, "q/"), ObjectStoreIdempotency(bucket, "q/")
    assert first.begin("m1") == "run"
    assert second.begin("m1") == "busy"  # claimed, not yet done: left for a retry
    first.succeeded("m1")
    assert (second.begin("m1"), second.begin("m2")) == ("done", "run")
    assert sorted(o.key for o in bucket.list()) == ["q/m1/claim-000000", "q/m1/done", "q/m2/claim-000000"]


def test_a_failed_message_releases_its_claim_for_the_retry() -> None:
    bucket = MemoryObjectStore("markers")
    one, two = ObjectStoreIdempotency(bucket), ObjectStoreIdempotency(bucket)
    assert one.begin("m/1") == "run"  # ids are percent-encoded into one key segment
    one.failed("m/1")
    assert two.begin("m/1") == "run"
    assert sorted(o.key for o in bucket.list()) == [
        "idempotency/m%2F1/claim-000000",
        "idempotency/m%2F1/claim-000000.released",
        "idempotency/m%2F1/claim-000001",
    ]


def test_a_dead_consumers_claim_expires_after_the_lease() -> None:
    bucket = MemoryObjectStore("markers")
    now = [datetime.now(timezone.utc)]
    crashed = ObjectStoreIdempotency(bucket, lease_s=900, clock=lambda: now[0])
    other = ObjectStoreIdempotency(bucket, lease_s=900, clock=lambda: now[0])
    assert crashed.begin("m1") == "run"  # ... and the container dies: no succeeded/failed
    now[0] += timedelta(seconds=899)
    assert other.begin("m1") == "busy"
    now[0] += timedelta(seconds=2)
    assert other.begin("m1") == "run"  # taken over with claim 1: at-least-once, never lost
    assert [o.key for o in bucket.list()] == ["idempotency/m1/claim-000000", "idempotency/m1/claim-000001"]


def test_a_busy_message_is_failed_not_skipped_so_the_platform_redelivers_it() -> None:
    bucket = MemoryObjectStore("markers")
    ObjectStoreIdempotency(bucket).begin("m1")  # another consumer is running m1
    ran: list[str] = []
    result = process_batch(_queue_batch(3), _failing_on(set(), ran), inv("ali"), ObjectStoreIdempotency(bucket))
    assert (result.failed, result.succeeded, result.skipped) == (["m1"], ["m0", "m2"], [])
    assert ran == ["m0", "m2"]


def test_an_unreachable_store_fails_only_the_message_it_was_claiming() -> None:
    class Flaky(MemoryObjectStore):
        def list(self, prefix: str = "", *, limit: int | None = None):
            if "m1" in prefix:
                raise DriverError("list: connection reset")
            return super().list(prefix, limit=limit)

    ran: list[str] = []
    result = process_batch(_queue_batch(3), _failing_on(set(), ran), inv("ali"), ObjectStoreIdempotency(Flaky()))
    assert (result.failed, result.succeeded, ran) == (["m1"], ["m0", "m2"], ["m0", "m2"])
