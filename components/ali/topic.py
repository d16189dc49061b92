"""MNS backend of Topic: the topic and, per subscriber, an invocation role and an FC 3.0 trigger."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pulumi
import pulumi_alicloud as alicloud

from components.permissions import Grant, policy_output, trust_policy
from components.topic import mns_topic_arn

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
    subscriptions: list[AliSubscription] = field(default_factory=list)

    def subscribe(self, component: Topic, fn: ServerlessFunction, app: Application) -> AliSubscription:
        name = f"{component.logical_name}-to-{fn.logical_name}"
        # RAM role names stop at 64 characters; a short hash keeps topic x function pairs unique.
        tag = "inv-" + hashlib.sha256(fn.logical_name.encode()).hexdigest()[:6]
        role_name = app.names.physical(component.logical_name, tag)
        opts = pulumi.ResourceOptions(parent=component)
        role = alicloud.ram.Role(
            f"{name}-role",
            role_name=role_name,
            description=f"Lets MNS topic {component.physical_name} invoke {fn.physical_name}",
            assume_role_policy_document=trust_policy("ali", "mns.aliyuncs.com"),
            force=True,
            opts=opts,
        )
        # The function and its versions/aliases ("/*"), nothing else.
        invoke = Grant("function.invoke", [fn.arn, fn.arn.apply(lambda a: f"{a}/*")])
        policy = alicloud.ram.Policy(
            f"{name}-invoke",
            policy_name=f"{role_name}-invoke",
            policy_document=policy_output("ali", [invoke]),
            description=f"fc:InvokeFunction on {fn.physical_name} only",
            force=True,
            opts=pulumi.ResourceOptions(parent=role),
        )
        attachment = alicloud.ram.RolePolicyAttachment(
            f"{name}-invoke",
            role_name=role.role_name,
            policy_name=policy.policy_name,
            policy_type="Custom",
            opts=pulumi.ResourceOptions(parent=role),
        )
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
    return AliTopic(topic=topic, arn=mns_topic_arn(app.region, app.account_id, component.physical_name))
