"""MNS (SMQ) backend of Queue: the queue, its dead-letter queue, and the FC 3.0 EventBridge trigger."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pulumi
import pulumi_alicloud as alicloud

from components.ali.arns import mns_endpoint, mns_queue
from components.ali.mns import message_grant
from components.limits import ConsumerLimits
from components.permissions import Grant

if TYPE_CHECKING:
    from components.app import Application
    from components.queue import Queue, Subscription

# The account-wide roles EventBridge acts through, by the suffix of their logical names:
# SendToFC invokes the function; SendToMNS works on MNS queues (its policy covers sending to the
# dead-letter queue); SourceMNS integrates an MNS queue as an event source. The service-linked
# roles page (EventBridge, 2026-01) omits SourceMNS, but EventBridge's CreateServiceLinkedRoleForProduct
# reference lists it ("Integrates Message Service (MNS) into EventBridge"); a fresh account without
# it may fail to create the MNS source, and creating an unneeded role costs nothing: create all three.
EVENTBRIDGE_ROLES = {
    "fc": "AliyunServiceRoleForEventBridgeSendToFC",
    "mns": "AliyunServiceRoleForEventBridgeSendToMNS",
    "source-mns": "AliyunServiceRoleForEventBridgeSourceMNS",
}
# Application.shared key: the roles, once per program (every queue trigger waits for them).
SERVICE_ROLES = "ali.eventbridge-service-linked-roles"


def trigger_config(region: str, account: str, queue: str, dead_letter: str, sub: Subscription) -> str:
    """The ``eventbridge`` trigger with an MNS source, in event-streaming mode (the only mode in
    which FC honours ``runOptions``: batching, retries, dead-letter queue)."""
    # No "concurrency" here: FC applies it to Kafka sources only, so max_concurrency is refused
    # for this trigger in the neutral layer (MnsBackend.consumer_limits).
    delivery: dict[str, Any] = {"eventSchema": "CloudEvents"}
    config = {
        "triggerEnable": True,
        # Synchronous, so a function error goes back to the stream's retry strategy and then its
        # dead-letter queue (asynchronously, EventBridge counts the hand-over as delivered and
        # FC's own async retries apply). FC 3.0's EventBridgeTriggerConfig reference (2023-03-30,
        # zh and en, updated 2026-02-09): "true: synchronous, false: asynchronous (default)". FC
        # 2.0's reference (2021-04-06) said the reverse and an older FC 3.0 English page only
        # "whether to invoke in asynchronous mode": check "Sync" in the console on a first deploy.
        "asyncInvocationType": True,
        "eventRuleFilterPattern": "{}",
        "eventSourceConfig": {
            "eventSourceType": "MNS",
            "eventSourceParameters": {
                # The driver base64-encodes bodies (as the MNS SDK does); EventBridge decodes them.
                "sourceMNSParameters": {"RegionId": region, "QueueName": queue, "IsBase64Decode": True},
            },
        },
        "eventSinkConfig": {"deliveryOption": delivery},
        "runOptions": {
            "mode": "event-streaming",
            "batchWindow": {"CountBasedWindow": sub.batch_size, "TimeBasedWindow": sub.batching_window_s},
            "retryStrategy": {"PushRetryStrategy": "BACKOFF_RETRY"},
            # Tolerate (don't block the stream) but keep: exhausted events go to the DLQ.
            "errorsTolerance": "ALL",
            "deadLetterQueue": {"Arn": mns_queue(region, account, dead_letter)},
        },
    }
    return json.dumps(config, separators=(",", ":"), sort_keys=True)


@dataclass
class AliQueue:
    queue: alicloud.message.ServiceQueue
    dead_letter: alicloud.message.ServiceQueue
    arn: str
    name: str
    endpoint: str
    service_roles: list[alicloud.eventbridge.ServiceLinkedRole] = field(default_factory=list)
    triggers: list[alicloud.fc.V3Trigger] = field(default_factory=list)

    def send_grant(self, binding: str) -> Grant:
        return message_grant("queue.send", "queue", binding, self.arn, self.name, self.endpoint)

    def subscribe(self, component: Queue, sub: Subscription, app: Application) -> alicloud.fc.V3Trigger:
        fn = sub.function
        depends: list[pulumi.Resource] = [self.queue, self.dead_letter]
        depends.extend(app.lookup(SERVICE_ROLES, []))
        trigger = alicloud.fc.V3Trigger(
            f"{component.logical_name}-to-{fn.logical_name}",
            function_name=fn.function_name,
            trigger_name=f"{component.logical_name}-queue",
            trigger_type="eventbridge",
            qualifier="LATEST",
            description=f"MNS queue {component.physical_name} via EventBridge",
            trigger_config=trigger_config(
                app.region, app.account_id, component.physical_name, component.dead_letter_name, sub
            ),
            opts=pulumi.ResourceOptions(parent=component, depends_on=depends),
        )
        self.triggers.append(trigger)
        return trigger


def create(component: Queue, app: Application, visibility: pulumi.Output[int]) -> AliQueue:
    args, name = component.args, component.logical_name
    child = pulumi.ResourceOptions(parent=component)
    dead_letter = alicloud.message.ServiceQueue(
        f"{name}-dlq",
        queue_name=component.dead_letter_name,
        message_retention_period=args.dead_letter_retention_s,
        opts=child,
    )
    queue_args: dict[str, Any] = {
        "queue_name": component.physical_name,
        "visibility_timeout": visibility,
        "message_retention_period": args.retention_s,
        "delay_seconds": args.delay_s,
        "dlq_policy": {
            "enabled": True,
            "dead_letter_target_queue": dead_letter.queue_name,
            "max_receive_count": args.max_receive_count,
        },
    }
    queue_args.update(args.ali)
    queue = alicloud.message.ServiceQueue(name, **queue_args, opts=child)
    roles: list[alicloud.eventbridge.ServiceLinkedRole] = []
    if args.create_eventbridge_role:
        # The neutral layer lets only one queue of the program ask (Application.claim).
        roles = app.shared(
            SERVICE_ROLES,
            lambda: [
                alicloud.eventbridge.ServiceLinkedRole(
                    f"{name}-eventbridge-{suffix}",
                    product_name=product,
                    # Deleting an account-wide role other stacks may rely on is never what is meant.
                    opts=pulumi.ResourceOptions(parent=component, retain_on_delete=True),
                )
                for suffix, product in EVENTBRIDGE_ROLES.items()
            ],
        )
    return AliQueue(
        queue=queue,
        dead_letter=dead_letter,
        arn=mns_queue(app.region, app.account_id, component.physical_name),
        name=component.physical_name,
        endpoint=mns_endpoint(app.account_id, app.region),
        service_roles=roles,
    )


class MnsBackend:
    """``QueueBackend`` on MNS, consumed through an FC 3.0 EventBridge trigger."""

    # EventBridge acts through account-wide service-linked roles (create_eventbridge_role).
    creates_account_roles = True
    # FC 3.0 "Advanced features of triggers": an MNS/EventBridge trigger invokes synchronously or
    # asynchronously with a "maximum timeout period" of 5 minutes either way. A longer function
    # would be cut off and its batch retried, then dead-lettered, although it may have succeeded.
    consumer_limits = ConsumerLimits(
        300,
        "the 5-minute maximum of an FC queue trigger's invocation",
        no_concurrency=(
            "not on Alibaba Cloud: FC 3.0 sends deliveryOption.concurrency to EventBridge only for Kafka "
            "sources (DeliveryOption reference) and its RunOptions has no concurrency field (FC 2.0's "
            "maximumTasks is gone), so nothing caps an MNS trigger's concurrency; omit max_concurrency"
        ),
    )
    create = staticmethod(create)


BACKEND = MnsBackend()
