"""SNS backend of Topic."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pulumi
import pulumi_aws as aws

from components.bindings import setting_name
from components.permissions import Grant

if TYPE_CHECKING:
    from components.app import Application
    from components.function import ServerlessFunction
    from components.topic import Topic


@dataclass
class AwsSubscription:
    permission: aws.lambda_.Permission
    subscription: aws.sns.TopicSubscription


@dataclass
class AwsTopic:
    topic: aws.sns.Topic
    subscriptions: list[AwsSubscription] = field(default_factory=list)

    @property
    def arn(self) -> pulumi.Output[str]:
        return self.topic.arn

    def publish_grant(self, binding: str) -> Grant:
        return Grant("topic.publish", [self.topic.arn], {setting_name("topic", binding, "arn"): self.topic.arn})

    def subscribe(self, component: Topic, fn: ServerlessFunction, app: Application) -> AwsSubscription:
        name = f"{component.logical_name}-to-{fn.logical_name}"
        permission = aws.lambda_.Permission(
            f"{name}-invoke",
            action="lambda:InvokeFunction",
            function=fn.function_name,
            principal="sns.amazonaws.com",
            source_arn=self.topic.arn,
            opts=pulumi.ResourceOptions(parent=component),
        )
        subscription = aws.sns.TopicSubscription(
            name,
            topic=self.topic.arn,
            protocol="lambda",
            endpoint=fn.arn,
            # SNS delivers as soon as it is subscribed: the permission must exist first.
            opts=pulumi.ResourceOptions(parent=component, depends_on=[permission]),
        )
        wired = AwsSubscription(permission=permission, subscription=subscription)
        self.subscriptions.append(wired)
        return wired


def create(component: Topic, app: Application) -> AwsTopic:
    topic_args: dict[str, Any] = {"name": component.physical_name}
    topic_args.update(component.args.aws)
    topic = aws.sns.Topic(component.logical_name, **topic_args, opts=pulumi.ResourceOptions(parent=component))
    return AwsTopic(topic=topic)


class SnsBackend:
    """``TopicBackend`` on SNS."""

    create = staticmethod(create)


BACKEND = SnsBackend()
