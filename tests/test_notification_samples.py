"""trigger_notification and output_notification: wiring on both stacks, and the packaged
functions invoked exactly as each platform does (Lambda's runtime client, the FC emulation),
against moto (SQS/SNS) and the local MNS server."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest
from deployed import Deployed, deploy_function, pointed_at_local
from fixtures.mns import STS_KEY_ID, STS_SECRET, STS_TOKEN
from pulumi_harness import ACCOUNT, REGION, deploy
from runtimes import on_fc, on_lambda
from servers.mns_server import MNSServer

from samples import compose

EVENTS = Path(__file__).parent / "events"
SAMPLES = ["trigger_notification", "output_notification"]


# -- wiring ---------------------------------------------------------------------------------------
def test_samples_wiring(cloud: str) -> None:
    d = deploy(cloud, compose, {"samples": SAMPLES})
    outputs = d.outputs
    assert set(outputs["functions"]) == {"trigger_notification.notification", "output_notification.outnotification"}
    if cloud == "aws":
        assert len(d.of_type("aws:sqs/queue:Queue")) == 4  # two queues, two dead-letter queues
        assert len(d.of_type("aws:sns/topic:Topic")) == 2
        mapping = d.one("aws:lambda/eventSourceMapping:EventSourceMapping")
        assert mapping.inputs["batchSize"] == 10
        assert mapping.inputs["functionResponseTypes"] == ["ReportBatchItemFailures"]
        assert d.one("aws:sns/topicSubscription:TopicSubscription").inputs["protocol"] == "lambda"
        env = d.one("aws:lambda/function:Function", "outnotification").inputs["environment"]["variables"]
        assert set(env) >= {"QUEUE_OUTBOX_URL", "TOPIC_OUTBOX_ARN", "CLOUDFN_CLOUD"}
        assert d.one("aws:lambda/function:Function", "notification").inputs["handler"] == "entry_aws.handler"
    else:
        assert len(d.of_type("alicloud:message/serviceQueue:ServiceQueue")) == 4
        assert len(d.of_type("alicloud:message/serviceTopic:ServiceTopic")) == 2
        types = sorted(t.inputs["triggerType"] for t in d.of_type("alicloud:fc/v3Trigger:V3Trigger"))
        assert types == ["eventbridge", "mns_topic"]
        env = d.one("alicloud:fc/v3Function:V3Function", "outnotification").inputs["environmentVariables"]
        assert set(env) >= {"QUEUE_OUTBOX_NAME", "QUEUE_OUTBOX_ENDPOINT", "TOPIC_OUTBOX_NAME", "TOPIC_OUTBOX_ENDPOINT"}
        assert env["QUEUE_OUTBOX_ENDPOINT"] == f"https://{ACCOUNT['ali']}.mns.{REGION['ali']}.aliyuncs.com"


# -- deployed, then invoked as each platform does -----------------------------------------------
# The very zip, handler, runtime and environment the program deployed, under that runtime's Python;
# only endpoints and credentials are pointed at the local servers.
def _deployed(logical: str, cloud: str, runtime: str, tmp_path: Path) -> Deployed:
    return deploy_function(cloud, compose, logical, tmp_path / f"{logical}-{cloud}", runtime, {"samples": SAMPLES})


OUT_ENV = {
    "aws": {
        "CLOUDFN_CLOUD": "aws",
        "QUEUE_OUTBOX_URL": f"https://sqs.{REGION['aws']}.amazonaws.com/{ACCOUNT['aws']}/outnotification-queue-83970e7a",
        "TOPIC_OUTBOX_ARN": f"arn:aws:sns:{REGION['aws']}:{ACCOUNT['aws']}:outnotification-topic-83970e7a",
    },
    "ali": {
        "CLOUDFN_CLOUD": "ali",
        "QUEUE_OUTBOX_NAME": "outnotification-queue-a4f6de28",
        "QUEUE_OUTBOX_ENDPOINT": f"https://{ACCOUNT['ali']}.mns.{REGION['ali']}.aliyuncs.com",
        "TOPIC_OUTBOX_NAME": "outnotification-topic-a4f6de28",
        "TOPIC_OUTBOX_ENDPOINT": f"https://{ACCOUNT['ali']}.mns.{REGION['ali']}.aliyuncs.com",
    },
}


def test_trigger_notification_on_lambda(tmp_path: Path) -> None:
    fn = _deployed("notification", "aws", "python3.12", tmp_path)
    assert fn.env == {"CLOUDFN_CLOUD": "aws"}
    sqs = json.loads((EVENTS / "aws" / "sqs_batch.json").read_text())
    sns = json.loads((EVENTS / "aws" / "sns_notification.json").read_text())
    with on_lambda(fn.code_dir, fn.handler, fn.runtime, env=fn.env, function_name=fn.function_name) as rt:
        from_queue = rt.invoke(sqs)
        from_topic = rt.invoke(sns)
        bad = rt.invoke({"Records": [{"eventSource": "aws:sqs", "body": "no id"}]})
        logs = rt.logs()
    assert from_queue.ok and from_queue.payload == {"batchItemFailures": []}
    assert from_topic.ok and from_topic.payload is None
    assert not bad.ok and bad.error["errorType"] == "EventFormatError"
    assert "'messageId'" in bad.error["errorMessage"]
    assert "059f36b4-87a3-44ab-83d2-661975830a7d" in logs and "Hello from SNS!" in logs


@pytest.mark.parametrize("runtime", ["python3.10", "python3.12"])
def test_trigger_notification_on_fc(tmp_path: Path, runtime: str) -> None:
    fn = _deployed("notification", "ali", runtime, tmp_path)
    assert fn.env == {"CLOUDFN_CLOUD": "ali"}
    batch = (EVENTS / "ali" / "mns_queue_batch.json").read_bytes()
    topic = (EVENTS / "ali" / "mns_topic_json_tutorial.json").read_bytes()
    with on_fc(fn.code_dir, fn.handler, fn.runtime, env=fn.env, function_name=fn.function_name) as rt:
        first = rt.invoke(batch)
        again = rt.invoke(batch)  # EventBridge pushing the batch again: the warm instance skips it
        from_topic = rt.invoke(topic)
        bad = rt.invoke(b'{"unexpected": true}')
        logs = rt.logs()
    assert first.ok and first.payload == {"processed": 2, "skipped": 0}
    assert again.ok and again.payload == {"processed": 0, "skipped": 2}
    assert from_topic.ok and from_topic.payload == {"processed": 1, "skipped": 0}
    assert not bad.ok and bad.error["errorType"] == "EventFormatError"
    assert "0A1B2C3D4E5F60718293A4B5C6D7E8F9" in logs and "notification-mns-topic" in logs


def test_output_notification_on_lambda_against_moto(tmp_path: Path, aws_env: str) -> None:
    fn = _deployed("outnotification", "aws", "python3.12", tmp_path)
    assert fn.env == OUT_ENV["aws"]
    sqs = boto3.client("sqs", endpoint_url=aws_env, region_name="us-east-1")
    sns = boto3.client("sns", endpoint_url=aws_env, region_name="us-east-1")
    url = sqs.create_queue(QueueName=fn.env["QUEUE_OUTBOX_URL"].rsplit("/", 1)[1])["QueueUrl"]
    topic = sns.create_topic(Name=fn.env["TOPIC_OUTBOX_ARN"].rsplit(":", 1)[1])["TopicArn"]
    assert topic == fn.env["TOPIC_OUTBOX_ARN"]  # moto's account and region are the mock stack's
    tap = sqs.create_queue(QueueName="tap")["QueueUrl"]
    tap_arn = sqs.get_queue_attributes(QueueUrl=tap, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=tap_arn)
    env = pointed_at_local(fn.env, QUEUE_OUTBOX_URL=url, AWS_ENDPOINT_URL=aws_env)
    with on_lambda(fn.code_dir, fn.handler, fn.runtime, env=env, function_name=fn.function_name) as rt:
        result = rt.invoke({})
    assert result.ok, result.error
    [queued] = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1)["Messages"]
    [published] = sqs.receive_message(QueueUrl=tap, WaitTimeSeconds=1)["Messages"]
    assert (queued["MessageId"], queued["Body"]) == (result.payload["queue_message_id"], "Sample content")
    envelope = json.loads(published["Body"])
    assert (envelope["MessageId"], envelope["Message"]) == (result.payload["topic_message_id"], "Sample content")


@pytest.mark.parametrize("runtime", ["python3.10", "python3.12"])
def test_output_notification_on_fc_against_mns(tmp_path: Path, mns_server: MNSServer, runtime: str) -> None:
    fn = _deployed("outnotification", "ali", runtime, tmp_path)
    assert fn.env == OUT_ENV["ali"]
    mns_server.create_queue(fn.env["QUEUE_OUTBOX_NAME"])
    mns_server.create_topic(fn.env["TOPIC_OUTBOX_NAME"])
    env = pointed_at_local(fn.env, QUEUE_OUTBOX_ENDPOINT=mns_server.endpoint, TOPIC_OUTBOX_ENDPOINT=mns_server.endpoint)
    creds = (STS_KEY_ID, STS_SECRET, STS_TOKEN)
    with on_fc(fn.code_dir, fn.handler, fn.runtime, env=env, function_name=fn.function_name, credentials=creds) as rt:
        result = rt.invoke(b"{}")
    assert result.ok, result.error
    payload: dict[str, Any] = result.payload
    [queued] = mns_server.queue(fn.env["QUEUE_OUTBOX_NAME"])
    [published] = mns_server.topic(fn.env["TOPIC_OUTBOX_NAME"])
    assert queued.id == payload["queue_message_id"] and published.id == payload["topic_message_id"]
    import base64

    assert base64.b64decode(queued.body).decode() == "Sample content" and published.body == "Sample content"
    assert all(r.headers.get("security-token") == STS_TOKEN for r in mns_server.requests)
