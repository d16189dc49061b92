"""Queue: exact wiring on both stacks (redrive, visibility, mapping / trigger, grants) and validation."""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pytest
from pulumi_harness import ACCOUNT, REGION, deploy, resolve

from components.function import FunctionArgs, ServerlessFunction
from components.queue import Queue, QueueArgs


def _program(queue_args: QueueArgs | None = None, timeout_s: int = 30, **subscribe: Any):
    def program(app):
        consumer = ServerlessFunction("consumer", FunctionArgs(code="trigger_notification", timeout_s=timeout_s))
        sender = ServerlessFunction("sender", FunctionArgs(code="output_notification"))
        queue = Queue("orders", queue_args)
        queue.subscribe(consumer, **subscribe)
        queue.grant_send(sender)
        return {"consumer": consumer, "sender": sender, "queue": queue, "suffix": app.names.suffix}

    return program


def _aws_policy(d, fn: str) -> dict[str, Any]:
    return d.one("aws:iam/rolePolicy:RolePolicy", f"{fn}-grants").json("policy")


def _ali_policy(d, fn: str) -> dict[str, Any]:
    return d.one("alicloud:ram/policy:Policy", f"{fn}-grants").json("policyDocument")


def test_aws_queue_redrive_visibility_mapping_and_grants() -> None:
    d = deploy("aws", _program(QueueArgs(max_receive_count=4), timeout_s=60, batch_size=25, batching_window_s=5))
    suffix = d.outputs["suffix"]
    region, account = REGION["aws"], ACCOUNT["aws"]
    queue_arn = f"arn:aws:sqs:{region}:{account}:orders-{suffix}"
    dlq_arn = f"arn:aws:sqs:{region}:{account}:orders-dlq-{suffix}"

    dlq = d.one("aws:sqs/queue:Queue", "orders-dlq")
    assert dlq.inputs["name"] == f"orders-dlq-{suffix}"
    assert dlq.inputs["messageRetentionSeconds"] == 604800 and dlq.inputs["sqsManagedSseEnabled"] is True
    queue = d.one("aws:sqs/queue:Queue", "orders")
    assert queue.inputs["name"] == f"orders-{suffix}"
    assert queue.json("redrivePolicy") == {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 4}
    # 6 x 60 s timeout + 5 s batching window.
    assert queue.inputs["visibilityTimeoutSeconds"] == 365
    assert queue.inputs["messageRetentionSeconds"] == 345600 and queue.inputs["delaySeconds"] == 0
    allow = d.one("aws:sqs/redriveAllowPolicy:RedriveAllowPolicy")
    assert allow.inputs["queueUrl"] == f"https://sqs.{region}.amazonaws.com/{account}/orders-dlq-{suffix}"
    assert allow.json("redriveAllowPolicy") == {"redrivePermission": "byQueue", "sourceQueueArns": [queue_arn]}

    mapping = d.one("aws:lambda/eventSourceMapping:EventSourceMapping", "orders-to-consumer")
    consumer_arn = resolve(d.outputs["consumer"].arn)
    assert {k: v for k, v in mapping.inputs.items() if not k.startswith("__")} == {
        "eventSourceArn": queue_arn,
        "functionName": consumer_arn,
        "batchSize": 25,
        "maximumBatchingWindowInSeconds": 5,
        "functionResponseTypes": ["ReportBatchItemFailures"],
        "enabled": True,
    }
    assert _aws_policy(d, "consumer")["Statement"] == [
        {
            "Sid": "QueueConsume",
            "Effect": "Allow",
            "Action": [
                "sqs:ReceiveMessage",
                "sqs:DeleteMessage",
                "sqs:ChangeMessageVisibility",
                "sqs:GetQueueAttributes",
            ],
            "Resource": [queue_arn],
        }
    ]
    assert _aws_policy(d, "sender")["Statement"] == [
        {"Sid": "QueueSend", "Effect": "Allow", "Action": ["sqs:SendMessage"], "Resource": [queue_arn]}
    ]
    sender_env = d.one("aws:lambda/function:Function", "sender").inputs["environment"]["variables"]
    assert sender_env["QUEUE_ORDERS_URL"] == f"https://sqs.{region}.amazonaws.com/{account}/orders-{suffix}"
    consumer_env = d.one("aws:lambda/function:Function", "consumer").inputs["environment"]["variables"]
    assert not any(k.startswith("QUEUE_") for k in consumer_env)


def test_aws_mapping_waits_for_the_consume_grant(monkeypatch: pytest.MonkeyPatch) -> None:
    """Lambda checks the role can poll the queue when the mapping is created: it depends on the grant."""
    import pulumi_aws

    captured: list[pulumi.ResourceOptions] = []
    original = pulumi_aws.lambda_.EventSourceMapping

    class Recording(original):  # type: ignore[misc, valid-type]
        def __init__(self, name: str, *args: Any, opts: pulumi.ResourceOptions | None = None, **kwargs: Any) -> None:
            captured.append(opts)
            super().__init__(name, *args, opts=opts, **kwargs)

    monkeypatch.setattr(pulumi_aws.lambda_, "EventSourceMapping", Recording)
    d = deploy("aws", _program())
    [opts] = captured
    consumer, queue = d.outputs["consumer"], d.outputs["queue"]
    assert consumer.grant_policy is not None
    assert consumer.grant_policy in opts.depends_on and queue.native.queue in opts.depends_on


def test_aws_max_concurrency() -> None:
    d = deploy("aws", _program(max_concurrency=5))
    mapping = d.one("aws:lambda/eventSourceMapping:EventSourceMapping")
    assert mapping.inputs["scalingConfig"] == {"maximumConcurrency": 5}
    assert d.one("aws:sqs/queue:Queue", "orders").inputs["visibilityTimeoutSeconds"] == 180


def test_ali_queue_dead_letter_policy_and_eventbridge_trigger() -> None:
    d = deploy("ali", _program(QueueArgs(max_receive_count=4), timeout_s=60, batch_size=25, batching_window_s=5))
    suffix = d.outputs["suffix"]
    region, account = REGION["ali"], ACCOUNT["ali"]
    dlq = d.one("alicloud:message/serviceQueue:ServiceQueue", "orders-dlq")
    assert dlq.inputs["queueName"] == f"orders-dlq-{suffix}" and dlq.inputs["messageRetentionPeriod"] == 604800
    queue = d.one("alicloud:message/serviceQueue:ServiceQueue", "orders")
    assert queue.inputs["queueName"] == f"orders-{suffix}"
    assert queue.inputs["dlqPolicy"] == {
        "enabled": True,
        "deadLetterTargetQueue": f"orders-dlq-{suffix}",
        "maxReceiveCount": 4,
    }
    assert queue.inputs["visibilityTimeout"] == 365
    assert queue.inputs["messageRetentionPeriod"] == 345600 and queue.inputs["delaySeconds"] == 0

    trigger = d.one("alicloud:fc/v3Trigger:V3Trigger", "orders-to-consumer")
    assert trigger.inputs["triggerType"] == "eventbridge"
    assert trigger.inputs["qualifier"] == "LATEST"
    assert trigger.inputs["triggerName"] == "orders-queue"
    assert trigger.inputs["functionName"] == resolve(d.outputs["consumer"].function_name)
    assert "invocationRole" not in trigger.inputs and "sourceArn" not in trigger.inputs
    assert trigger.json("triggerConfig") == {
        "triggerEnable": True,
        "asyncInvocationType": True,  # FC 3.0: true = synchronous
        "eventRuleFilterPattern": "{}",
        "eventSourceConfig": {
            "eventSourceType": "MNS",
            "eventSourceParameters": {
                "sourceMNSParameters": {"RegionId": region, "QueueName": f"orders-{suffix}", "IsBase64Decode": True}
            },
        },
        "eventSinkConfig": {"deliveryOption": {"eventSchema": "CloudEvents"}},
        "runOptions": {
            "mode": "event-streaming",
            "batchWindow": {"CountBasedWindow": 25, "TimeBasedWindow": 5},
            "retryStrategy": {"PushRetryStrategy": "BACKOFF_RETRY"},
            "errorsTolerance": "ALL",
            "deadLetterQueue": {"Arn": f"acs:mns:{region}:{account}:/queues/orders-dlq-{suffix}"},
        },
    }
    # EventBridge consumes through its service-linked role: the consumer gets no MNS grant.
    assert [p.name for p in d.of_type("alicloud:ram/policy:Policy") if p.name.startswith("consumer-")] == [
        "consumer-logging"
    ]
    assert _ali_policy(d, "sender")["Statement"] == [
        {
            "Effect": "Allow",
            "Action": ["mns:SendMessage"],
            "Resource": [f"acs:mns:{region}:{account}:/queues/orders-{suffix}/messages"],
        }
    ]
    env = d.one("alicloud:fc/v3Function:V3Function", "sender").inputs["environmentVariables"]
    assert env["QUEUE_ORDERS_NAME"] == f"orders-{suffix}"
    assert env["QUEUE_ORDERS_ENDPOINT"] == f"https://{account}.mns.{region}.aliyuncs.com"
    # The service-linked role is opt-in.
    assert d.of_type("alicloud:eventbridge/serviceLinkedRole:ServiceLinkedRole") == []


def test_ali_opt_in_service_linked_roles() -> None:
    d = deploy("ali", _program(QueueArgs(create_eventbridge_role=True)))
    roles = d.of_type("alicloud:eventbridge/serviceLinkedRole:ServiceLinkedRole")
    assert sorted((r.name, r.inputs["productName"]) for r in roles) == [
        ("orders-eventbridge-fc", "AliyunServiceRoleForEventBridgeSendToFC"),
        ("orders-eventbridge-mns", "AliyunServiceRoleForEventBridgeSendToMNS"),
        ("orders-eventbridge-source-mns", "AliyunServiceRoleForEventBridgeSourceMNS"),
    ]
    config = d.one("alicloud:fc/v3Trigger:V3Trigger").json("triggerConfig")
    assert config["eventSinkConfig"]["deliveryOption"] == {"eventSchema": "CloudEvents"}


def _refused_subscription(cloud: str, timeout_s: int = 30, **subscribe: Any) -> str:
    """Subscribe, catching the refusal; the deployment must then hold no trigger at all."""
    errors: list[str] = []

    def program(app):
        consumer = ServerlessFunction("consumer", FunctionArgs(code="trigger_notification", timeout_s=timeout_s))
        queue = Queue("orders")
        try:
            queue.subscribe(consumer, **subscribe)
        except pulumi.RunError as err:
            errors.append(str(err))

    d = deploy(cloud, program)
    assert d.of_type("alicloud:fc/v3Trigger:V3Trigger") == []
    assert d.of_type("aws:lambda/eventSourceMapping:EventSourceMapping") == []
    assert len(errors) == 1, errors
    return errors[0]


def test_ali_max_concurrency_is_refused_before_the_trigger() -> None:
    message = _refused_subscription("ali", max_concurrency=3)
    assert "queue 'orders' subscribe max_concurrency: got 3" in message
    assert "not on Alibaba Cloud" in message and "Kafka" in message


@pytest.mark.parametrize(("cloud", "timeout", "ok"), [("ali", 300, True), ("ali", 301, False), ("aws", 900, True)])
def test_consumer_timeout_limit_per_cloud(cloud: str, timeout: int, ok: bool) -> None:
    if ok:
        d = deploy(cloud, _program(timeout_s=timeout, batching_window_s=15))
        token = "aws:sqs/queue:Queue" if cloud == "aws" else "alicloud:message/serviceQueue:ServiceQueue"
        key = "visibilityTimeoutSeconds" if cloud == "aws" else "visibilityTimeout"
        assert d.one(token, "orders").inputs[key] == 6 * timeout + 15
        return
    message = _refused_subscription(cloud, timeout_s=timeout)
    assert "queue 'orders' consumer 'consumer' timeout_s: got 301" in message
    assert "at most 300 seconds" in message and "5-minute maximum" in message


def test_ali_second_service_linked_role_is_refused() -> None:
    def program(app):
        Queue("one", QueueArgs(create_eventbridge_role=True))
        Queue("two", QueueArgs(create_eventbridge_role=True))

    with pytest.raises(pulumi.RunError, match="queue 'one' already creates it"):
        deploy("ali", program)


def test_explicit_visibility_and_escape_hatch(cloud: str) -> None:
    hatch = {"aws": {"receive_wait_time_seconds": 20}, "ali": {"polling_wait_seconds": 20}}
    d = deploy(cloud, _program(QueueArgs(visibility_timeout_s=900, **{cloud: hatch[cloud]})))
    token = "aws:sqs/queue:Queue" if cloud == "aws" else "alicloud:message/serviceQueue:ServiceQueue"
    queue = d.one(token, "orders")
    key = "visibilityTimeoutSeconds" if cloud == "aws" else "visibilityTimeout"
    assert queue.inputs[key] == 900
    assert queue.inputs["receiveWaitTimeSeconds" if cloud == "aws" else "pollingWaitSeconds"] == 20


def test_unsubscribed_queue_defaults_to_30s_visibility(cloud: str) -> None:
    d = deploy(cloud, lambda app: Queue("idle"))
    token = "aws:sqs/queue:Queue" if cloud == "aws" else "alicloud:message/serviceQueue:ServiceQueue"
    key = "visibilityTimeoutSeconds" if cloud == "aws" else "visibilityTimeout"
    assert d.one(token, "idle").inputs[key] == 30


@pytest.mark.parametrize(
    ("queue_args", "subscribe", "timeout", "needles"),
    [
        (QueueArgs(max_receive_count=0), {}, 30, ["max_receive_count", "0", "1..1000"]),
        (QueueArgs(retention_s=1209600), {}, 30, ["retention_s", "7 days"]),
        (QueueArgs(delay_s=901), {}, 30, ["delay_s", "0..900"]),
        (QueueArgs(visibility_timeout_s=100), {}, 30, ["visibility_timeout_s", "100", "at least 180"]),
        (None, {"batch_size": 0}, 30, ["batch_size", "1..10000"]),
        (None, {"batch_size": 50}, 30, ["batching_window_s", "above 10"]),
        (None, {"batching_window_s": 16}, 30, ["batching_window_s", "0..15"]),
        (None, {"max_concurrency": 1}, 30, ["max_concurrency", "2..1000"]),
        (QueueArgs(create_eventbridge_role="yes"), {}, 30, ["create_eventbridge_role"]),  # type: ignore[arg-type]
    ],
)
def test_validation_before_any_resource(cloud: str, queue_args, subscribe, timeout, needles) -> None:
    with pytest.raises(pulumi.RunError) as err:
        deploy(cloud, _program(queue_args, timeout_s=timeout, **subscribe))
    for needle in needles:
        assert needle in str(err.value)


def test_one_consumer_per_queue(cloud: str) -> None:
    def program(app):
        a = ServerlessFunction("a", FunctionArgs(code="trigger_notification"))
        b = ServerlessFunction("b", FunctionArgs(code="trigger_notification"))
        q = Queue("jobs")
        q.subscribe(a)
        q.subscribe(b)

    with pytest.raises(pulumi.RunError, match="one consumer per queue"):
        deploy(cloud, program)


def test_grant_send_with_binding_and_twice(cloud: str) -> None:
    def program(app):
        fn = ServerlessFunction("sender", FunctionArgs(code="output_notification"))
        q = Queue("jobs")
        q.grant_send(fn, binding="outbox")
        return fn

    d = deploy(cloud, program)
    token = "aws:lambda/function:Function" if cloud == "aws" else "alicloud:fc/v3Function:V3Function"
    key = "environment" if cloud == "aws" else "environmentVariables"
    env = d.one(token, "sender").inputs[key]
    env = env["variables"] if cloud == "aws" else env
    expected = {"QUEUE_OUTBOX_URL"} if cloud == "aws" else {"QUEUE_OUTBOX_NAME", "QUEUE_OUTBOX_ENDPOINT"}
    assert {k for k in env if k.startswith("QUEUE_")} == expected

    def twice(app):
        fn = ServerlessFunction("sender", FunctionArgs(code="output_notification"))
        q = Queue("jobs")
        q.grant_send(fn)
        q.grant_send(fn)

    with pytest.raises(pulumi.RunError, match="granted once"):
        deploy(cloud, twice)


def test_outputs_are_plain_names(cloud: str) -> None:
    d = deploy(cloud, _program())
    queue = d.outputs["queue"]
    assert queue.physical_name == f"orders-{d.outputs['suffix']}"
    arn = resolve(queue.arn)
    assert arn.endswith(f"orders-{d.outputs['suffix']}")
    assert json.dumps(arn)


def test_account_wide_roles_are_state_of_each_program() -> None:
    """Two programs in one process (tests, automation API) each own their account-wide roles:
    which queue creates them is recorded on the Application, not in a module global."""

    def program(owner: str):  # type: ignore[no-untyped-def]
        def build(app):  # type: ignore[no-untyped-def]
            Queue(owner, QueueArgs(create_eventbridge_role=True))
            consumer = ServerlessFunction("consumer", FunctionArgs(code="trigger_notification"))
            Queue("orders").subscribe(consumer)

        return build

    for owner in ("first", "second"):
        d = deploy("ali", program(owner))
        roles = sorted(r.name for r in d.of_type("alicloud:eventbridge/serviceLinkedRole:ServiceLinkedRole"))
        assert roles == [f"{owner}-eventbridge-{s}" for s in ("fc", "mns", "source-mns")]
