"""Durable idempotency on both clouds' object stores: racing consumers of the same messages.

Alibaba Cloud retries whole batches (no partial-batch response), and any platform may deliver a
message to two consumers at once. The claims are created with the store's atomic
create-if-absent against the real local servers (moto's S3, tests/servers/oss_server.py), each
consumer with its own client, as two function instances would be.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter

import boto3
import pytest

from cloudfn.batch import BatchFailedError, ObjectStoreIdempotency, durable_idempotency, process_batch, render_ali
from cloudfn.drivers.objectstore import ObjectStore
from cloudfn.drivers.oss import OssObjectStore, make_client
from cloudfn.drivers.s3 import S3ObjectStore
from cloudfn.events.messages import Message
from cloudfn.invocation import Invocation

BUCKET = "files-test"  # the OSS fixture's bucket; created on moto for S3


@pytest.fixture(params=["aws", "ali"])
def new_store(request: pytest.FixtureRequest):
    """A factory of independent stores (one client each) over the same bucket."""
    if request.param == "aws":
        endpoint = request.getfixturevalue("aws_env")
        boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1").create_bucket(Bucket=BUCKET)
        return lambda: S3ObjectStore(BUCKET, boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1"))
    oss = request.getfixturevalue("oss")
    return lambda: OssObjectStore(
        oss.bucket,
        make_client(oss.region, oss.endpoint, oss.access_key_id, oss.access_key_secret, oss.security_token),
    )


def _batch(n: int) -> list[Message]:
    return [Message(f"msg-{i}", f"body {i}", "orders", "queue") for i in range(n)]


def _inv(name: str) -> Invocation:
    return Invocation(f"req-{name}", "consumer", "ali", "cn-hangzhou", logging.getLogger(f"test.{name}"))


def test_two_concurrent_consumers_of_the_same_messages_run_each_exactly_once(new_store) -> None:
    batch = _batch(6)
    runs: Counter[str] = Counter()
    lock = threading.Lock()
    start = threading.Barrier(2)

    def handle(message: Message, _inv: Invocation) -> None:
        with lock:
            runs[message.id] += 1
        time.sleep(0.05)  # long enough that both consumers overlap on every message

    results = {}

    def consume(name: str) -> None:
        store = ObjectStoreIdempotency(new_store(), "orders/")
        start.wait()
        results[name] = process_batch(batch, handle, _inv(name), store)

    threads = [threading.Thread(target=consume, args=(name,)) for name in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert runs == {m.id: 1 for m in batch}  # exactly one consumer ran each message
    a, b = results["a"], results["b"]
    assert sorted(a.succeeded + b.succeeded) == [m.id for m in batch]
    # What one consumer ran, the other left failed (busy) or skipped (already done): none lost.
    for mine, theirs in ((a, b), (b, a)):
        assert set(mine.failed) | set(mine.skipped) == set(theirs.succeeded)
    # The platform retries a consumer whose batch failed (Alibaba: the whole batch): all done.
    retry = process_batch(batch, handle, _inv("retry"), ObjectStoreIdempotency(new_store(), "orders/"))
    assert (retry.skipped, retry.failed, retry.succeeded) == ([m.id for m in batch], [], [])
    assert runs == {m.id: 1 for m in batch}


def test_a_whole_batch_retry_after_one_failure_runs_only_the_failed_message(new_store) -> None:
    batch = _batch(4)
    ran: list[str] = []
    broken = {"msg-2"}

    def handle(message: Message, _inv: Invocation) -> None:
        ran.append(message.id)
        if message.id in broken:
            raise RuntimeError("downstream unavailable")

    first = ObjectStoreIdempotency(new_store(), "orders/")
    with pytest.raises(BatchFailedError, match="1 of 4 messages failed: msg-2"):
        render_ali(process_batch(batch, handle, _inv("first"), first))
    broken.clear()
    # The retry lands on another instance (a cold start): only the durable markers remember.
    second = ObjectStoreIdempotency(new_store(), "orders/")
    result = process_batch(batch, handle, _inv("second"), second)
    assert render_ali(result) == '{"processed":1,"skipped":3}'
    assert ran == ["msg-0", "msg-1", "msg-2", "msg-3", "msg-2"]
    keys = sorted(o.key for o in new_store().list("orders/msg-2/"))
    assert keys == [
        "orders/msg-2/claim-000000",
        "orders/msg-2/claim-000000.released",
        "orders/msg-2/claim-000001",
        "orders/msg-2/done",
    ]


def test_a_claim_created_by_another_instance_makes_the_message_busy(new_store) -> None:
    store: ObjectStore = new_store()
    assert store.put_if_absent("orders/x/claim-000000", "{}") is True
    assert ObjectStoreIdempotency(store, "orders/").begin("x") == "busy"


@pytest.mark.parametrize("cloud", ["aws", "ali"])
def test_durable_idempotency_uses_the_bucket_the_grant_bound(
    cloud: str, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    if cloud == "aws":
        endpoint = request.getfixturevalue("aws_env")
        s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
        s3.create_bucket(Bucket="markers-bucket")
        env = {"CLOUDFN_CLOUD": "aws", "BUCKET_MARKERS_NAME": "markers-bucket", "AWS_ENDPOINT_URL_S3": endpoint}
    else:
        oss = request.getfixturevalue("oss")
        env = oss.env("markers")
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    store = durable_idempotency("markers", "orders/")
    assert (store.begin("m1"), durable_idempotency("markers", "orders/").begin("m1")) == ("run", "busy")
    if cloud == "aws":
        keys = [o["Key"] for o in s3.list_objects_v2(Bucket="markers-bucket")["Contents"]]
    else:
        keys = sorted(oss.server.objects(oss.bucket))
    assert keys == ["orders/m1/claim-000000"]
