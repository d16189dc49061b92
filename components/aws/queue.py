"""SQS backend of Queue: the queue, its dead-letter queue, and the Lambda event source mapping."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pulumi
import pulumi_aws as aws

from components.bindings import setting_name
from components.limits import ConsumerLimits
from components.permissions import Grant

if TYPE_CHECKING:
    from components.app import Application
    from components.queue import Queue, Subscription


def redrive_policy(dlq_arn: str, max_receive_count: int) -> str:
    return json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": max_receive_count}, separators=(",", ":"))


def redrive_allow_policy(source_arn: str) -> str:
    return json.dumps({"redrivePermission": "byQueue", "sourceQueueArns": [source_arn]}, separators=(",", ":"))


@dataclass
class AwsQueue:
    queue: aws.sqs.Queue
    dead_letter: aws.sqs.Queue
    redrive_allow: aws.sqs.RedriveAllowPolicy
    mappings: list[aws.lambda_.EventSourceMapping] = field(default_factory=list)

    @property
    def arn(self) -> pulumi.Output[str]:
        return self.queue.arn

    @property
    def url(self) -> pulumi.Output[str]:
        return self.queue.url

    def send_grant(self, binding: str) -> Grant:
        return Grant("queue.send", [self.queue.arn], {setting_name("queue", binding, "url"): self.queue.url})

    def subscribe(self, component: Queue, sub: Subscription, app: Application) -> aws.lambda_.EventSourceMapping:
        fn = sub.function
        # The mapping checks at creation that the role may poll the queue: grant first.
        fn.grant(Grant("queue.consume", [self.queue.arn]))
        mapping_args: dict[str, Any] = {
            "event_source_arn": self.queue.arn,
            "function_name": fn.arn,
            "batch_size": sub.batch_size,
            "maximum_batching_window_in_seconds": sub.batching_window_s,
            "function_response_types": ["ReportBatchItemFailures"],
            "enabled": True,
        }
        if sub.max_concurrency is not None:
            mapping_args["scaling_config"] = {"maximum_concurrency": sub.max_concurrency}
        mapping = aws.lambda_.EventSourceMapping(
            f"{component.logical_name}-to-{fn.logical_name}",
            **mapping_args,
            opts=pulumi.ResourceOptions(parent=component, depends_on=[fn.grant_policy, self.queue]),
        )
        self.mappings.append(mapping)
        return mapping


def create(component: Queue, app: Application, visibility: pulumi.Output[int]) -> AwsQueue:
    args, name = component.args, component.logical_name
    child = pulumi.ResourceOptions(parent=component)
    dead_letter = aws.sqs.Queue(
        f"{name}-dlq",
        name=component.dead_letter_name,
        message_retention_seconds=args.dead_letter_retention_s,
        sqs_managed_sse_enabled=True,
        opts=child,
    )
    queue_args: dict[str, Any] = {
        "name": component.physical_name,
        "visibility_timeout_seconds": visibility,
        "message_retention_seconds": args.retention_s,
        "delay_seconds": args.delay_s,
        "sqs_managed_sse_enabled": True,
        "redrive_policy": dead_letter.arn.apply(lambda arn: redrive_policy(arn, args.max_receive_count)),
    }
    queue_args.update(args.aws)
    queue = aws.sqs.Queue(name, **queue_args, opts=child)
    # Only this queue may move messages into its dead-letter queue.
    allow = aws.sqs.RedriveAllowPolicy(
        f"{name}-dlq-allow",
        queue_url=dead_letter.url,
        redrive_allow_policy=queue.arn.apply(redrive_allow_policy),
        opts=pulumi.ResourceOptions(parent=dead_letter),
    )
    return AwsQueue(queue=queue, dead_letter=dead_letter, redrive_allow=allow)


class SqsBackend:
    """``QueueBackend`` on SQS."""

    # Lambda's event source mapping needs no account-wide role.
    creates_account_roles = False
    # Lambda's own maximum; the event source mapping invokes synchronously.
    consumer_limits = ConsumerLimits(900, "Lambda's maximum")
    create = staticmethod(create)


BACKEND = SqsBackend()
