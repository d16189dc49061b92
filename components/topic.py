"""``Topic``: publish/subscribe with function subscribers and publish grants."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import pulumi

from components.app import Application
from components.errors import invalid
from components.function import ServerlessFunction, function_label
from components.naming import validate_name
from components.permissions import Grant

TYPE = "multicloud:index:Topic"


@dataclass
class TopicArgs:
    """``aws`` / ``ali``: extra arguments for ``aws.sns.Topic`` / ``alicloud.message.ServiceTopic``
    (escape hatch), overriding what the component sets."""

    aws: Mapping[str, Any] = field(default_factory=dict)
    ali: Mapping[str, Any] = field(default_factory=dict)


class NativeTopic(Protocol):
    """What a backend built for one topic."""

    @property
    def arn(self) -> pulumi.Input[str]: ...

    def publish_grant(self, binding: str) -> Grant:
        """``topic.publish`` on this topic, with the settings the messaging driver reads for ``binding``."""
        ...

    def subscribe(self, component: Topic, fn: ServerlessFunction, app: Application) -> Any:
        """Let the topic invoke ``fn`` with each message; returns the native wiring."""
        ...


class TopicBackend(Protocol):
    """The contract of a cloud's topic backend (``app.backend("Topic")``)."""

    def create(self, component: Topic, app: Application) -> NativeTopic: ...


class Topic(pulumi.ComponentResource):
    """A topic every subscribed function receives each published message from.

    AWS creates an SNS topic; ``subscribe(fn)`` adds a Lambda permission letting only
    ``sns.amazonaws.com`` invoke ``fn`` for this topic (``source_arn``) and a ``lambda``
    subscription. Lambda retries failed deliveries twice (asynchronous invocation).
    Alibaba Cloud creates an MNS topic (``alicloud.message.ServiceTopic``); ``subscribe(fn)`` adds
    a RAM role trusting only ``mns.aliyuncs.com`` with ``fc:InvokeFunction`` on ``fn`` only (not
    the system policy's ``*``) and an FC 3.0 ``mns_topic`` trigger in ``JSON`` format (so the
    message id arrives) with MNS's backoff retry.
    ``grant_publish(fn)`` allows ``sns:Publish`` / ``mns:PublishMessage`` on this topic only and
    injects ``TOPIC_<B>_ARN`` (AWS) or ``TOPIC_<B>_NAME`` and ``TOPIC_<B>_ENDPOINT`` (Alibaba).
    ``native`` exposes the cloud resources.
    """

    def __init__(self, name: str, args: TopicArgs | None = None, opts: pulumi.ResourceOptions | None = None) -> None:
        app = Application.current()
        args = args or TopicArgs()
        validate_name("Topic", name)
        super().__init__(TYPE, name, None, opts)
        self.logical_name = name
        self.cloud = app.cloud
        self.args = args
        self.physical_name = app.names.physical(name)
        self.subscribers: list[ServerlessFunction] = []
        self._app = app
        self._bindings: set[tuple[str, str]] = set()
        backend: TopicBackend = app.backend("Topic")
        self.native = backend.create(self, app)
        self.arn: pulumi.Output[str] = pulumi.Output.from_input(self.native.arn)
        app.register_outputs_at_end(self, {"name": self.physical_name, "arn": self.arn})

    def subscribe(self, fn: ServerlessFunction) -> Any:
        """Invoke ``fn`` with each message published to this topic. Returns the native wiring."""
        where = f"topic '{self.logical_name}' subscribe"
        self._app.require_open(f"{where}({function_label(fn)})")
        if not isinstance(fn, ServerlessFunction):
            raise invalid(f"{where} function", fn, "a ServerlessFunction")
        if any(s is fn for s in self.subscribers):
            raise invalid(where, fn.logical_name, "each function at most once per topic")
        self.subscribers.append(fn)
        return self.native.subscribe(self, fn, self._app)

    def grant_publish(self, fn: ServerlessFunction, binding: str | None = None) -> None:
        """Let ``fn`` publish to this topic (``Messaging.publish(binding, ...)``; binding defaults
        to the topic's logical name)."""
        self._app.require_open(f"topic '{self.logical_name}' grant_publish({function_label(fn)})")
        binding = binding or self.logical_name
        validate_name("Topic binding", binding)
        if not isinstance(fn, ServerlessFunction):
            raise invalid(f"topic '{self.logical_name}' grant_publish function", fn, "a ServerlessFunction")
        if (fn.logical_name, binding) in self._bindings:
            raise invalid(f"topic '{self.logical_name}' grant_publish", fn.logical_name, "granted once per function")
        self._bindings.add((fn.logical_name, binding))
        fn.grant(self.native.publish_grant(binding))
