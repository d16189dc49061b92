"""MNS (SMQ) backend of Queue: the queue, its dead-letter queue, and the FC 3.0 EventBridge trigger."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pulumi
import pulumi_alicloud as alicloud

from components.ali.arns import mns_endpoint, mns_queue
from components.bindings import setting_name
from components.permissions import Grant

if TYPE_CHECKING:
    from components.app import Application
    from components.queue import Queue, Subscription

# The account-wide roles EventBridge acts through (EventBridge "service-linked roles" page):
# SendToFC invokes the function; SendToMNS works on MNS queues (its policy covers receiving and
# deleting from the source queue and sending to the dead-letter queue).
EVENTBRIDGE_ROLES = ("AliyunServiceRoleForEventBridgeSendToFC", "AliyunServiceRoleForEventBridgeSendToMNS")
# Application.shared key: the roles, once per program (every queue trigger waits for them).
SERVICE_ROLES = "ali.eventbridge-service-linked-roles"


def trigger_config(region: str, account: str, queue: str, dead_letter: str, sub: Subscription) -> str:
    """The ``eventbridge`` trigger with an MNS source, in event-streaming mode (the only mode in
    which FC honours ``runOptions``: batching, retries, dead-letter queue)."""
    delivery: dict[str, Any] = {"eventSchema": "CloudEvents"}
    if sub.max_concurrency is not None:
        delivery["concurrency"] = sub.max_concurrency
    config = {
        "triggerEnable": True,
        # FC 3.0 (CreateTrigger, EventBridgeTriggerConfig): true = synchronous, false = asynchronous
        # (the default; FC 2.0's docs said the reverse). Synchronous, so a failed invocation goes
        # back to the stream's retry strategy and dead-letter queue instead of FC's async retries.
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
        return Grant(
            "queue.send",
            [f"{self.arn}/messages"],
            {
                setting_name("queue", binding, "name"): self.name,
                setting_name("queue", binding, "endpoint"): self.endpoint,
            },
        )

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
                    f"{name}-eventbridge-{product.rsplit('SendTo', 1)[1].lower()}",
                    product_name=product,
                    # Deleting an account-wide role other stacks may rely on is never what is meant.
                    opts=pulumi.ResourceOptions(parent=component, retain_on_delete=True),
                )
                for product in EVENTBRIDGE_ROLES
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
    create = staticmethod(create)


BACKEND = MnsBackend()
