"""MNS backend of Topic: the topic and, per subscriber, an invocation role and an FC 3.0 trigger."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pulumi
import pulumi_alicloud as alicloud

from components.ali.arns import mns_endpoint, mns_topic
from components.ali.mns import message_grant
from components.ali.ram import service_role
from components.permissions import Grant

if TYPE_CHECKING:
    from components.app import Application
    from components.function import ServerlessFunction
    from components.topic import Topic

# JSON carries MessageId (idempotency) and PublishTime; STREAM (FC's default) carries neither.
TRIGGER_CONFIG = json.dumps(
    {"notifyContentFormat": "JSON", "notifyStrategy": "BACKOFF_RETRY"}, separators=(",", ":"), sort_keys=True
)


@dataclass
class AliSubscription:
    role: alicloud.ram.Role
    policy: alicloud.ram.Policy
    attachment: alicloud.ram.RolePolicyAttachment
    trigger: alicloud.fc.V3Trigger


@dataclass
class AliTopic:
    topic: alicloud.message.ServiceTopic
    arn: str
    name: str
    endpoint: str
    subscriptions: list[AliSubscription] = field(default_factory=list)

    def publish_grant(self, binding: str) -> Grant:
        return message_grant("topic.publish", "topic", binding, self.arn, self.name, self.endpoint)

    def subscribe(self, component: Topic, fn: ServerlessFunction, app: Application) -> AliSubscription:
        name = f"{component.logical_name}-to-{fn.logical_name}"
        # RAM role names stop at 64 characters; a short hash keeps topic x function pairs unique.
        tag = "inv-" + hashlib.sha256(fn.logical_name.encode()).hexdigest()[:6]
        role_name = app.names.physical(component.logical_name, tag)
        invoker = service_role(
            name,
            role_name=role_name,
            service="mns.aliyuncs.com",
            description=f"Lets MNS topic {component.physical_name} invoke {fn.physical_name}",
            policy="invoke",
            policy_name=f"{role_name}-invoke",
            policy_description=f"fc:InvokeFunction on {fn.physical_name} only",
            # The function and its versions/aliases ("/*"), nothing else.
            grants=[Grant("function.invoke", [fn.arn, fn.arn.apply(lambda a: f"{a}/*")])],
            parent=component,
        )
        role, policy, attachment = invoker.role, invoker.policy, invoker.attachment
        trigger = alicloud.fc.V3Trigger(
            name,
            function_name=fn.function_name,
            trigger_name=f"{component.logical_name}-topic",
            trigger_type="mns_topic",
            qualifier="LATEST",
            source_arn=self.arn,
            invocation_role=role.arn,
            description=f"MNS topic {component.physical_name}",
            trigger_config=TRIGGER_CONFIG,
            # MNS checks the role when it creates the subscription behind the trigger.
            opts=pulumi.ResourceOptions(parent=component, depends_on=[self.topic, attachment]),
        )
        wired = AliSubscription(role=role, policy=policy, attachment=attachment, trigger=trigger)
        self.subscriptions.append(wired)
        return wired


def create(component: Topic, app: Application) -> AliTopic:
    topic_args: dict[str, Any] = {"topic_name": component.physical_name}
    topic_args.update(component.args.ali)
    topic = alicloud.message.ServiceTopic(
        component.logical_name, **topic_args, opts=pulumi.ResourceOptions(parent=component)
    )
    return AliTopic(
        topic=topic,
        arn=mns_topic(app.region, app.account_id, component.physical_name),
        name=component.physical_name,
        endpoint=mns_endpoint(app.account_id, app.region),
    )


class MnsTopicBackend:
    """``TopicBackend`` on MNS topics, pushing to FC 3.0 ``mns_topic`` triggers."""

    create = staticmethod(create)


BACKEND = MnsTopicBackend()
