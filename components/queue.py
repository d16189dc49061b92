"""``Queue``: a message queue with a dead-letter queue, one consumer function, and send grants."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import pulumi

from components.app import Application
from components.errors import invalid
from components.function import ServerlessFunction, function_label
from components.limits import ConsumerLimits
from components.naming import validate_name
from components.permissions import Grant
from components.validators import boolean, int_in

TYPE = "multicloud:index:Queue"
# SQS and MNS both cap the visibility timeout at 12 hours.
MAX_VISIBILITY_S = 43200
# AWS: "set the source queue's visibility timeout to at least six times the function timeout"
# (plus the batching window), so retries of throttled invocations don't redeliver early.
VISIBILITY_FACTOR = 6
# Portable ranges: the intersection of SQS and MNS (and of Lambda's and EventBridge's batching).
RETENTION_RANGE = (60, 604800)  # MNS's maximum is 7 days (SQS allows 14)
DELAY_RANGE = (0, 900)  # SQS's maximum
RECEIVE_RANGE = (1, 1000)
BATCH_RANGE = (1, 10000)
WINDOW_RANGE = (0, 15)  # EventBridge's TimeBasedWindow maximum (Lambda allows 300)
CONCURRENCY_RANGE = (2, 1000)  # Lambda's SQS maximum concurrency range
# The EventBridge service-linked roles are one per account: at most one Queue may create them.
EVENTBRIDGE_ROLES_CLAIM = "queue.eventbridge-service-linked-roles"


@dataclass
class QueueArgs:
    """Neutral settings of a queue; defaults are the same on both clouds.

    - ``max_receive_count``: deliveries before a message moves to the dead-letter queue (1..1000).
    - ``visibility_timeout_s``: default ``6 x consumer timeout + batching window`` (at least 30),
      computed once the consumer is known; an explicit value below that is an error.
    - ``retention_s`` / ``dead_letter_retention_s``: 60..604800 seconds (MNS's limit).
    - ``delay_s``: default delivery delay, 0..900 seconds.
    - ``create_eventbridge_role`` (Alibaba Cloud): create the account's service-linked roles
      ``AliyunServiceRoleForEventBridgeSendToFC`` (invoke the consumer),
      ``...SendToMNS`` (write the dead-letter queue) and ``...SourceMNS`` (the queue as an event
      source) that EventBridge acts through. They are account-wide singletons, kept when the
      stack is destroyed; opt-in, so a stack never fights another over them: set it on one
      queue of a fresh account (the stack setting ``createServiceLinkedRoles`` does it for the
      samples).
    - ``aws`` / ``ali``: extra arguments for ``aws.sqs.Queue`` / ``alicloud.message.ServiceQueue``
      (escape hatch), overriding what the component sets.
    """

    max_receive_count: int = 5
    visibility_timeout_s: int | None = None
    retention_s: int = 345600
    dead_letter_retention_s: int = 604800
    delay_s: int = 0
    create_eventbridge_role: bool = False
    aws: Mapping[str, Any] = field(default_factory=dict)
    ali: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Subscription:
    """How the consumer is wired: its batching, and the native trigger resource."""

    function: ServerlessFunction
    batch_size: int
    batching_window_s: int
    max_concurrency: int | None
    native: Any = None


class NativeQueue(Protocol):
    """What a backend built for one queue."""

    @property
    def arn(self) -> pulumi.Input[str]: ...

    def send_grant(self, binding: str) -> Grant:
        """``queue.send`` on this queue, with the settings the messaging driver reads for ``binding``."""
        ...

    def subscribe(self, component: Queue, sub: Subscription, app: Application) -> Any:
        """Wire the one consumer (grants the consume side where the cloud needs it); returns
        the native trigger."""
        ...


class QueueBackend(Protocol):
    """The contract of a cloud's queue backend (``app.backend("Queue")``)."""

    #: ``create_eventbridge_role`` creates account-wide roles on this cloud (one Queue may).
    creates_account_roles: bool
    #: What the consumer may be: its longest timeout, and whether its concurrency can be capped.
    consumer_limits: ConsumerLimits

    def create(self, component: Queue, app: Application, visibility: pulumi.Output[int]) -> NativeQueue:
        """The queue and its dead-letter queue; ``visibility`` resolves once the consumer is known."""
        ...


def _int_in(where: str, value: object, bounds: tuple[int, int], unit: str) -> int:
    return int_in(where, value, bounds[0], bounds[1], unit)


def validate(name: str, args: QueueArgs) -> None:
    where = f"queue '{name}'"
    _int_in(f"{where} max_receive_count", args.max_receive_count, RECEIVE_RANGE, "deliveries")
    if args.visibility_timeout_s is not None:
        _int_in(f"{where} visibility_timeout_s", args.visibility_timeout_s, (1, MAX_VISIBILITY_S), "seconds")
    _int_in(f"{where} retention_s", args.retention_s, RETENTION_RANGE, "seconds (MNS keeps at most 7 days)")
    _int_in(
        f"{where} dead_letter_retention_s",
        args.dead_letter_retention_s,
        RETENTION_RANGE,
        "seconds (MNS keeps at most 7 days)",
    )
    _int_in(f"{where} delay_s", args.delay_s, DELAY_RANGE, "seconds")
    boolean(f"{where} create_eventbridge_role", args.create_eventbridge_role)


def validate_subscription(name: str, fn: object, batch_size: object, window: object, concurrency: object) -> None:
    where = f"queue '{name}' subscribe"
    if not isinstance(fn, ServerlessFunction):
        raise invalid(f"{where} function", fn, "a ServerlessFunction")
    _int_in(f"{where} batch_size", batch_size, BATCH_RANGE, "messages")
    _int_in(f"{where} batching_window_s", window, WINDOW_RANGE, "seconds (EventBridge's limit)")
    if isinstance(batch_size, int) and batch_size > 10 and window == 0:
        raise invalid(f"{where} batching_window_s", window, "at least 1 second when batch_size is above 10 (SQS)")
    if concurrency is not None:
        _int_in(f"{where} max_concurrency", concurrency, CONCURRENCY_RANGE, "concurrent invocations")


def required_visibility(timeout_s: int, window_s: int) -> int:
    return max(30, VISIBILITY_FACTOR * timeout_s + window_s)


class Queue(pulumi.ComponentResource):
    """A queue with a dead-letter queue, consumed by one function, written to by granted ones.

    AWS creates:
      - an SQS dead-letter queue ``<name>-dlq-<suffix>`` and a redrive-allow policy letting only
        this queue use it;
      - the SQS queue ``<name>-<suffix>`` (SSE-SQS) with a redrive policy after
        ``max_receive_count`` receives and a visibility timeout of at least 6x the consumer's
        timeout plus its batching window;
      - on ``subscribe(fn)``: the consume grant (``sqs:ReceiveMessage``, ``DeleteMessage``,
        ``ChangeMessageVisibility``, ``GetQueueAttributes`` on this queue only) and an event
        source mapping with the batch size, batching window and ``ReportBatchItemFailures``.
    Alibaba Cloud creates:
      - an MNS (SMQ) dead-letter queue and the queue (``alicloud.message.ServiceQueue``) with a
        dead-letter policy after ``max_receive_count`` receives and the same visibility rule;
      - on ``subscribe(fn)``: an FC 3.0 ``eventbridge`` trigger with an MNS source (event
        streaming: batch size and window, backoff retry, then EventBridge's dead-letter queue
        pointing at the MNS dead-letter queue). EventBridge consumes through its service-linked
        role, so the function needs no MNS permission; ``create_eventbridge_role`` creates that
        role (opt-in, see ``QueueArgs``).
    ``grant_send(fn)`` allows ``sqs:SendMessage`` / ``mns:SendMessage`` on this queue only and
    injects ``QUEUE_<B>_URL`` (AWS) or ``QUEUE_<B>_NAME`` and ``QUEUE_<B>_ENDPOINT`` (Alibaba).
    ``native`` exposes the cloud resources.
    """

    def __init__(self, name: str, args: QueueArgs | None = None, opts: pulumi.ResourceOptions | None = None) -> None:
        app = Application.current()
        args = args or QueueArgs()
        validate_name("Queue", name)
        validate(name, args)
        backend: QueueBackend = app.backend("Queue")
        if args.create_eventbridge_role and backend.creates_account_roles:
            owner = app.claim(EVENTBRIDGE_ROLES_CLAIM, name)
            if owner != name:
                raise invalid(
                    f"queue '{name}' create_eventbridge_role",
                    True,
                    f"the role is one per account and queue '{owner}' already creates it",
                )
        super().__init__(TYPE, name, None, opts)
        self.logical_name = name
        self.cloud = app.cloud
        self.args = args
        self.physical_name = app.names.physical(name)
        self.dead_letter_name = app.names.physical(name, "dlq")
        self.subscription: Subscription | None = None
        self._app = app
        self._bindings: set[tuple[str, str]] = set()
        visibility = app.deferred(self._visibility)
        self._backend = backend
        self.native = backend.create(self, app, visibility)
        self.arn: pulumi.Output[str] = pulumi.Output.from_input(self.native.arn)
        app.register_outputs_at_end(self, {"name": self.physical_name, "arn": self.arn})

    def _visibility(self) -> int:
        if self.args.visibility_timeout_s is not None:
            return self.args.visibility_timeout_s
        sub = self.subscription
        return required_visibility(sub.function.timeout_s, sub.batching_window_s) if sub else 30

    def subscribe(
        self,
        fn: ServerlessFunction,
        *,
        batch_size: int = 10,
        batching_window_s: int = 0,
        max_concurrency: int | None = None,
    ) -> Subscription:
        """Invoke ``fn`` with batches of up to ``batch_size`` messages, waiting at most
        ``batching_window_s`` to fill one. ``fn`` reports failed messages (see ``cloudfn.batch``).

        ``fn``'s timeout may be at most 900 s on AWS and 300 s on Alibaba Cloud (the FC queue
        trigger's invocation limit). ``max_concurrency`` caps concurrent invocations on AWS
        (``scaling_config``); Alibaba Cloud has nothing that caps an MNS trigger, so it is refused
        there (see each backend's ``consumer_limits``)."""
        self._app.require_open(f"queue '{self.logical_name}' subscribe({function_label(fn)})")
        validate_subscription(self.logical_name, fn, batch_size, batching_window_s, max_concurrency)
        where = f"queue '{self.logical_name}'"
        if self.subscription is not None:
            raise invalid(
                f"{where} subscribe",
                fn.logical_name,
                f"one consumer per queue (already '{self.subscription.function.logical_name}'); use a Topic to fan out",
            )
        limits = self._backend.consumer_limits
        if fn.timeout_s > limits.max_timeout_s:
            raise invalid(
                f"{where} consumer '{fn.logical_name}' timeout_s",
                fn.timeout_s,
                f"at most {limits.max_timeout_s} seconds for a queue consumer ({limits.why})",
            )
        if max_concurrency is not None and limits.no_concurrency:
            raise invalid(f"{where} subscribe max_concurrency", max_concurrency, limits.no_concurrency)
        # At most 6 x 900 + 15 s: always within MAX_VISIBILITY_S given the limits above.
        needed = required_visibility(fn.timeout_s, batching_window_s)
        explicit = self.args.visibility_timeout_s
        if explicit is not None and explicit < needed:
            raise invalid(
                f"{where} visibility_timeout_s",
                explicit,
                f"at least {needed} seconds ({VISIBILITY_FACTOR} x consumer '{fn.logical_name}' timeout "
                f"{fn.timeout_s}s + batching window {batching_window_s}s), or leave it unset",
            )
        sub = Subscription(fn, batch_size, batching_window_s, max_concurrency)
        self.subscription = sub
        native = self.native.subscribe(self, sub, self._app)
        self.subscription = Subscription(fn, batch_size, batching_window_s, max_concurrency, native)
        return self.subscription

    def grant_send(self, fn: ServerlessFunction, binding: str | None = None) -> None:
        """Let ``fn`` send to this queue (``Messaging.send(binding, ...)``; binding defaults to
        the queue's logical name)."""
        self._app.require_open(f"queue '{self.logical_name}' grant_send({function_label(fn)})")
        binding = binding or self.logical_name
        validate_name("Queue binding", binding)
        if not isinstance(fn, ServerlessFunction):
            raise invalid(f"queue '{self.logical_name}' grant_send function", fn, "a ServerlessFunction")
        if (fn.logical_name, binding) in self._bindings:
            raise invalid(f"queue '{self.logical_name}' grant_send", fn.logical_name, "granted once per function")
        self._bindings.add((fn.logical_name, binding))
        fn.grant(self.native.send_grant(binding))
