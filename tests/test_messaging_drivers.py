"""Messaging drivers over real protocols: SQS/SNS against moto's server, MNS against the local
MNS server (signature checked); the SQS partial-failure cycle; the S3 idempotency store."""

from __future__ import annotations

import base64
import json
import xml.etree.ElementTree as ET
from types import SimpleNamespace
from typing import Any

import boto3
import pytest
from fixtures.mns import STS_KEY_ID, STS_SECRET, STS_TOKEN
from servers.mns_server import MNSServer

from cloudfn.batch import InMemoryIdempotencyStore, lambda_message_handler, s3_marker_store
from cloudfn.drivers import messaging
from cloudfn.drivers.mns import Credentials, MnsClient, MnsMessaging, _message_id, string_to_sign
from cloudfn.drivers.sqs_sns import SqsSnsMessaging
from cloudfn.errors import DriverError, NotFoundError, PermissionDeniedError, SettingError
from cloudfn.events.messages import Message


# -- SQS / SNS (moto server) -------------------------------------------------------------------------
@pytest.fixture
def sqs_sns(aws_env: str) -> SimpleNamespace:
    sqs = boto3.client("sqs", endpoint_url=aws_env, region_name="us-east-1")
    sns = boto3.client("sns", endpoint_url=aws_env, region_name="us-east-1")
    return SimpleNamespace(sqs=sqs, sns=sns, endpoint=aws_env)


def test_sqs_send_with_attributes_and_delay(sqs_sns: SimpleNamespace) -> None:
    url = sqs_sns.sqs.create_queue(QueueName="orders")["QueueUrl"]
    driver = SqsSnsMessaging(sqs=sqs_sns.sqs, env={"QUEUE_ORDERS_URL": url})
    msg_id = driver.send("orders", "Sample content", attributes={"sample-attribute": "sample-value"})
    got = sqs_sns.sqs.receive_message(QueueUrl=url, MessageAttributeNames=["All"], WaitTimeSeconds=1)["Messages"]
    assert [(m["MessageId"], m["Body"]) for m in got] == [(msg_id, "Sample content")]
    assert got[0]["MessageAttributes"]["sample-attribute"] == {"StringValue": "sample-value", "DataType": "String"}


def test_sns_publish_reaches_a_subscribed_queue(sqs_sns: SimpleNamespace) -> None:
    topic = sqs_sns.sns.create_topic(Name="events")["TopicArn"]
    url = sqs_sns.sqs.create_queue(QueueName="tap")["QueueUrl"]
    queue_arn = sqs_sns.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sqs_sns.sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)
    driver = SqsSnsMessaging(sns=sqs_sns.sns, env={"TOPIC_EVENTS_ARN": topic})
    msg_id = driver.publish("events", "hello", attributes={"kind": "greeting"})
    [got] = sqs_sns.sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1)["Messages"]
    envelope = json.loads(got["Body"])
    assert (envelope["MessageId"], envelope["Message"]) == (msg_id, "hello")
    assert envelope["MessageAttributes"]["kind"]["Value"] == "greeting"


def test_aws_errors_are_neutral(sqs_sns: SimpleNamespace) -> None:
    missing_queue = f"{sqs_sns.endpoint}/123456789012/nope"
    missing_topic = "arn:aws:sns:us-east-1:123456789012:nope"
    driver = SqsSnsMessaging(
        sqs=sqs_sns.sqs, sns=sqs_sns.sns, env={"QUEUE_GONE_URL": missing_queue, "TOPIC_GONE_ARN": missing_topic}
    )
    with pytest.raises(NotFoundError, match="send to queue 'gone'"):
        driver.send("gone", "x")
    with pytest.raises(NotFoundError, match="publish to topic 'gone'"):
        driver.publish("gone", "x")
    with pytest.raises(SettingError, match="QUEUE_UNBOUND_URL"):
        driver.send("unbound", "x")
    with pytest.raises(TypeError, match="str"):
        driver.send("gone", b"bytes")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="delay_s"):
        driver.send("gone", "x", delay_s=901)


def test_from_env_picks_the_cloud() -> None:
    assert isinstance(messaging.from_env({"CLOUDFN_CLOUD": "aws"}), SqsSnsMessaging)
    assert isinstance(messaging.from_env({"CLOUDFN_CLOUD": "ali"}), MnsMessaging)
    with pytest.raises(SettingError, match="CLOUDFN_CLOUD"):
        messaging.from_env({})


def _esm_event(received: list[dict[str, Any]], queue_arn: str) -> dict[str, Any]:
    """What Lambda's SQS poller hands the function for received messages (documented shape)."""
    return {
        "Records": [
            {
                "messageId": m["MessageId"],
                "receiptHandle": m["ReceiptHandle"],
                "body": m["Body"],
                "attributes": m["Attributes"],
                "messageAttributes": {},
                "md5OfBody": m["MD5OfBody"],
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": "us-east-1",
            }
            for m in received
        ]
    }


def test_partial_failure_loses_nothing_and_acknowledges_only_successes(sqs_sns: SimpleNamespace) -> None:
    """The poller's documented cycle against real SQS semantics (moto): receive a batch, invoke,
    delete all but ``batchItemFailures``, let those become visible again; after
    ``maxReceiveCount`` receives SQS moves them to the dead-letter queue."""
    sqs = sqs_sns.sqs
    dlq_url = sqs.create_queue(QueueName="orders-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    url = sqs.create_queue(
        QueueName="orders",
        Attributes={"RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 2})},
    )["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sender = SqsSnsMessaging(sqs=sqs, env={"QUEUE_ORDERS_URL": url})
    sent = {sender.send("orders", json.dumps({"n": n})): n for n in range(6)}
    poison = {i for i, n in sent.items() if n % 3 == 0}  # n = 0 and 3 always fail

    processed: list[str] = []

    def handle(message: Message, _inv: Any) -> None:
        if message.id in poison:
            raise ValueError(f"cannot handle {message.json()}")
        processed.append(message.id)

    handler = lambda_message_handler(handle, idempotency=InMemoryIdempotencyStore())
    context = SimpleNamespace(aws_request_id="req", function_name="consumer")
    reported: list[set[str]] = []
    for _ in range(4):
        received = sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"], VisibilityTimeout=30
        ).get("Messages", [])
        if not received:
            break
        response = handler(_esm_event(received, queue_arn), context)
        failed = {f["itemIdentifier"] for f in response["batchItemFailures"]}
        reported.append(failed)
        for m in received:
            if m["MessageId"] in failed:
                sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"], VisibilityTimeout=0)
            else:
                sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])

    assert reported[0] == poison and reported[1] == poison
    assert sorted(processed) == sorted(set(sent) - poison)  # each success once, none failed acknowledged
    in_dlq = sqs.receive_message(QueueUrl=dlq_url, MaxNumberOfMessages=10).get("Messages", [])
    assert {m["MessageId"] for m in in_dlq} == poison  # the failures are kept, not lost
    left = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
    assert left["Attributes"]["ApproximateNumberOfMessages"] == "0"


def test_s3_marker_store_claims_then_marks_done(aws_env: str) -> None:
    s3 = boto3.client("s3", endpoint_url=aws_env, region_name="us-east-1")
    s3.create_bucket(Bucket="idempotency-markers")
    one = s3_marker_store(s3, "idempotency-markers", prefix="orders/")
    two = s3_marker_store(s3, "idempotency-markers", prefix="orders/")
    assert one.begin("m1") == "run"
    assert two.begin("m1") == "busy"  # the conditional create of claim 0 fails (412)
    one.succeeded("m1")
    assert (two.begin("m1"), two.begin("m2")) == ("done", "run")
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket="idempotency-markers")["Contents"]]
    assert keys == ["orders/m1/claim-000000", "orders/m1/done", "orders/m2/claim-000000"]


# -- MNS (local server speaking the documented protocol) --------------------------------------------
def _mns_env(server: MNSServer, **bindings: str) -> dict[str, str]:
    env = {
        "ALIBABA_CLOUD_ACCESS_KEY_ID": STS_KEY_ID,
        "ALIBABA_CLOUD_ACCESS_KEY_SECRET": STS_SECRET,
        "ALIBABA_CLOUD_SECURITY_TOKEN": STS_TOKEN,
    }
    for name, kind in bindings.items():
        env[f"{kind.upper()}_{name.upper()}_NAME"] = name
        env[f"{kind.upper()}_{name.upper()}_ENDPOINT"] = server.endpoint
    return env


def test_documented_signature_example() -> None:
    headers = {"Date": "Thu, 09 Jul 2015 03:01:34 GMT", "x-mns-version": "2015-06-06"}
    expected = "GET\n\n\nThu, 09 Jul 2015 03:01:34 GMT\nx-mns-version:2015-06-06\n/MyQueue"
    assert string_to_sign("GET", headers, "/MyQueue") == expected


def test_mns_send_is_signed_with_sts_and_base64_encoded(mns_server: MNSServer) -> None:
    mns_server.create_queue("orders")
    driver = MnsMessaging(env=_mns_env(mns_server, orders="queue"))
    text = "Sample content: <ünïcode> & more"
    msg_id = driver.send("orders", text, delay_s=0)
    [stored] = mns_server.queue("orders")
    assert stored.id == msg_id and base64.b64decode(stored.body).decode() == text
    [request] = mns_server.requests
    assert request.path == "/queues/orders/messages" and request.method == "POST"
    assert request.headers["security-token"] == STS_TOKEN
    assert request.headers["authorization"].startswith(f"MNS {STS_KEY_ID}:")
    assert request.headers["content-type"] == "text/xml;charset=UTF-8"
    root = ET.fromstring(request.body)
    assert root.tag == "{http://mns.aliyuncs.com/doc/v1/}Message"


def test_mns_publish_sends_escaped_text(mns_server: MNSServer) -> None:
    mns_server.create_topic("events")
    driver = MnsMessaging(env=_mns_env(mns_server, events="topic"))
    body = 'a <b>"quoted"</b> & \u00e9'
    msg_id = driver.publish("events", body)
    [stored] = mns_server.topic("events")
    assert (stored.id, stored.body) == (msg_id, body)


def test_mns_credentials_from_the_process_environment(mns_server: MNSServer, monkeypatch: pytest.MonkeyPatch) -> None:
    mns_server.create_queue("orders")
    env = _mns_env(mns_server, orders="queue")
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    assert MnsMessaging().send("orders", "from os.environ")
    monkeypatch.delenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET")
    with pytest.raises(SettingError, match="ALIBABA_CLOUD_ACCESS_KEY_SECRET"):
        MnsMessaging().send("orders", "x")


def test_mns_errors_are_neutral(mns_server: MNSServer) -> None:
    mns_server.create_queue("orders")
    env = _mns_env(mns_server, orders="queue", missing="queue", gone="topic")
    with pytest.raises(NotFoundError, match="QueueNotExist"):
        MnsMessaging(env=env).send("missing", "x")
    with pytest.raises(NotFoundError, match="TopicNotExist"):
        MnsMessaging(env=env).publish("gone", "x")
    wrong = MnsMessaging(env=env, credentials=Credentials(STS_KEY_ID, "not-the-secret", STS_TOKEN))
    with pytest.raises(PermissionDeniedError, match="SignatureDoesNotMatch"):
        wrong.send("orders", "x")
    no_token = MnsMessaging(env=env, credentials=Credentials(STS_KEY_ID, STS_SECRET, ""))
    with pytest.raises(PermissionDeniedError, match="security-token"):
        no_token.send("orders", "x")
    with pytest.raises(PermissionDeniedError, match="InvalidAccessKeyId"):
        MnsMessaging(env=env, credentials=Credentials("LTAIunknown", "s")).send("orders", "x")
    with pytest.raises(ValueError, match="no attributes"):
        MnsMessaging(env=env).send("orders", "x", attributes={"a": "b"})
    with pytest.raises(ValueError, match="at most 65536"):
        MnsMessaging(env=env).send("orders", "x" * 50000)
    with pytest.raises(ValueError, match="control characters"):
        MnsMessaging(env=env).publish("gone", "bell \x07")
    assert mns_server.queue("orders") == []  # nothing half-sent


def test_mns_server_rejects_skewed_clock_and_wrong_version(mns_server: MNSServer) -> None:
    import http.client

    from cloudfn.drivers.mns import signature

    mns_server.create_queue("orders")
    CT = "text/xml;charset=UTF-8"
    host, port = mns_server.server_address[:2]
    for date, version, code in (
        ("Thu, 09 Jul 2015 03:01:34 GMT", "2015-06-06", "RequestTimeTooSkewed"),
        (None, "2014-01-01", "InvalidArgument"),
    ):
        from email.utils import formatdate

        headers = {"Date": date or formatdate(usegmt=True), "Content-Type": CT, "x-mns-version": version}
        signed = signature("plainsecret", "GET", headers, "/queues/orders/messages")
        headers["Authorization"] = f"MNS LTAIplainkey:{signed}"
        conn = http.client.HTTPConnection(host, port, timeout=5)
        conn.request("GET", "/queues/orders/messages", headers=headers)
        body = conn.getresponse().read().decode()
        conn.close()
        assert f"<Code>{code}</Code>" in body


def test_mns_client_checks_the_stored_md5() -> None:
    ns = "http://mns.aliyuncs.com/doc/v1/"
    good = ET.fromstring(
        f'<Message xmlns="{ns}"><MessageId>1</MessageId>'
        "<MessageBodyMD5>5D41402ABC4B2A76B9719D911017C592</MessageBodyMD5></Message>"
    )
    assert _message_id(good, "hello", "send") == "1"
    with pytest.raises(DriverError, match="MD5"):
        _message_id(good, "hullo", "send")


def test_mns_unreachable_endpoint_is_a_driver_error() -> None:
    client = MnsClient("http://127.0.0.1:9", Credentials("k", "s"), timeout_s=2)
    with pytest.raises(DriverError, match="cannot reach MNS"):
        client.send_message("q", "x")
    with pytest.raises(SettingError, match="endpoint"):
        MnsClient("ftp://x", Credentials("k", "s"))
