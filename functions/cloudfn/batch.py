"""Per-message processing of a delivered batch: failures, idempotency, and the per-cloud entries.

Write the logic once, for one message::

    def on_message(message: Message, inv: Invocation) -> None: ...

    handler = lambda_message_handler(on_message)   # entry_aws.py
    handler = fc_message_handler(on_message)       # entry_ali.py

A message whose handling raises is *failed*; the others succeeded. What happens next differs:

- AWS SQS (the mapping has ``ReportBatchItemFailures``): the handler returns
  ``{"batchItemFailures": [{"itemIdentifier": <id>}, ...]}``; SQS makes only those messages
  visible again, deletes the rest, and after ``max_receive_count`` receives moves a message to
  the dead-letter queue.
- AWS SNS: one message per invocation; a failure raises, so Lambda's asynchronous retries apply.
- Alibaba Cloud (EventBridge for queues, MNS for topics): there is no partial-batch response.
  A failure raises, FC records the invocation as failed and the *whole batch* is pushed again
  (EventBridge's retry strategy, then its dead-letter queue). To keep the messages that did
  succeed from being processed twice, pass an :class:`IdempotencyStore`: succeeded ids are
  recorded and skipped on the retry.

Idempotency is at-least-once, recorded *after* success: a crash between the work and the record
repeats the work once; two concurrent deliveries of the same message may both run. The
in-memory store only remembers within one warm instance (a retry landing on another instance or
after a cold start processes again); :class:`ConditionalCreateStore` is durable across
instances when backed by an atomic create-if-absent (S3 ``If-None-Match: *``, OSS
``x-oss-forbid-overwrite``, a database unique key); :func:`s3_marker_store` is the S3 one.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from cloudfn.entry import fc_entry, lambda_entry
from cloudfn.errors import CloudFnError
from cloudfn.events import messages as message_events
from cloudfn.events.messages import Message
from cloudfn.invocation import Invocation

MessageHandler = Callable[[Message, Invocation], Any]


class BatchFailedError(CloudFnError):
    """Some messages of a batch failed on a cloud that retries batches whole."""

    def __init__(self, failed: Sequence[str], total: int) -> None:
        self.failed = list(failed)
        shown = ", ".join(self.failed[:10]) + (" ..." if len(self.failed) > 10 else "")
        super().__init__(f"{len(self.failed)} of {total} messages failed: {shown}")


class IdempotencyStore(Protocol):
    """Remembers which message ids were processed successfully."""

    def seen(self, key: str) -> bool:
        """True if ``key`` was recorded as done."""
        ...

    def record(self, key: str) -> None:
        """Record ``key`` as done. Recording twice is harmless."""
        ...


class InMemoryIdempotencyStore:
    """Bounded LRU of ids, per warm instance only (see the module docstring)."""

    def __init__(self, max_entries: int = 10_000, ttl_s: float | None = None) -> None:
        if max_entries < 1:
            raise ValueError("max_entries must be at least 1")
        self.max_entries = max_entries
        self.ttl_s = ttl_s
        self._done: OrderedDict[str, float] = OrderedDict()

    def seen(self, key: str) -> bool:
        stamp = self._done.get(key)
        if stamp is None:
            return False
        if self.ttl_s is not None and time.monotonic() - stamp > self.ttl_s:
            del self._done[key]
            return False
        return True

    def record(self, key: str) -> None:
        self._done[key] = time.monotonic()
        self._done.move_to_end(key)
        while len(self._done) > self.max_entries:
            self._done.popitem(last=False)


class ConditionalCreateStore:
    """Durable store over an atomic create-if-absent of a marker named after the id.

    ``create(key)`` must create the marker and return True, or return False when it already
    exists, atomically. ``exists(key)`` reports whether it does. A local LRU in front saves the
    round trip for ids this instance already recorded.
    """

    def __init__(self, create: Callable[[str], bool], exists: Callable[[str], bool], *, prefix: str = "") -> None:
        self._create = create
        self._exists = exists
        self._prefix = prefix
        self._local = InMemoryIdempotencyStore(max_entries=1_000)

    def seen(self, key: str) -> bool:
        if self._local.seen(key):
            return True
        found = self._exists(self._prefix + key)
        if found:
            self._local.record(key)
        return found

    def record(self, key: str) -> None:
        self._create(self._prefix + key)  # False means someone recorded it first: still done
        self._local.record(key)


def s3_marker_store(client: Any, bucket: str, prefix: str = "idempotency/") -> ConditionalCreateStore:
    """Markers as empty S3 objects created with ``If-None-Match: *`` (atomic since 2024-08).

    Give the function ``s3:PutObject`` and ``s3:GetObject`` on ``<bucket>/<prefix>*`` and
    expire the prefix with a lifecycle rule. Message ids are unique per queue, so one prefix per
    queue is enough.
    """

    def create(key: str) -> bool:
        try:
            client.put_object(Bucket=bucket, Key=key, Body=b"", IfNoneMatch="*")
        except client.exceptions.ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("PreconditionFailed", "ConditionalRequestConflict"):
                return False
            raise
        return True

    def exists(key: str) -> bool:
        try:
            client.head_object(Bucket=bucket, Key=key)
        except client.exceptions.ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise
        return True

    return ConditionalCreateStore(create, exists, prefix=prefix)


@dataclass
class BatchResult:
    """What became of each message of one delivery."""

    total: int = 0
    failed: list[str] = field(default_factory=list)
    succeeded: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # already done (idempotency)
    partial_ok: bool = False  # the source accepts a partial-failure report (SQS)


def process_batch(
    messages: Iterable[Message],
    handle: MessageHandler,
    inv: Invocation,
    idempotency: IdempotencyStore | None = None,
) -> BatchResult:
    """Run ``handle`` on each message; a raising message is failed, the others go on."""
    result = BatchResult()
    all_queue = True
    failed, succeeded = result.failed, result.succeeded
    for message in messages:
        result.total += 1
        if message.kind != "queue":
            all_queue = False
        if idempotency is not None and idempotency.seen(message.id):
            result.skipped.append(message.id)
            continue
        try:
            handle(message, inv)
        except Exception as exc:  # any failure of one message must not lose the others
            inv.logger.error("message %s from %s failed: %s: %s", message.id, message.source, type(exc).__name__, exc)
            failed.append(message.id)
            continue
        succeeded.append(message.id)
        if idempotency is not None:
            idempotency.record(message.id)
    result.partial_ok = all_queue and inv.cloud == "aws"
    return result


def batch_logic(
    handle: MessageHandler, idempotency: IdempotencyStore | None = None
) -> Callable[[list[Message], Invocation], BatchResult]:
    """The neutral logic for a message-triggered function: each message through ``handle``."""

    def logic(batch: list[Message], inv: Invocation) -> BatchResult:
        return process_batch(batch, handle, inv, idempotency)

    return logic


def render_aws(result: BatchResult) -> dict[str, Any] | None:
    """SQS: the partial-failure response. SNS: raise, so Lambda retries the one message."""
    if result.partial_ok:
        return {"batchItemFailures": [{"itemIdentifier": i} for i in result.failed]}
    if result.failed:
        raise BatchFailedError(result.failed, result.total)
    return None


def render_ali(result: BatchResult) -> str:
    """FC: raise on any failure (the batch is retried whole); otherwise a short JSON summary."""
    if result.failed:
        raise BatchFailedError(result.failed, result.total)
    return f'{{"processed":{len(result.succeeded)},"skipped":{len(result.skipped)}}}'


def lambda_message_handler(
    handle: MessageHandler, *, idempotency: IdempotencyStore | None = None
) -> Callable[[Any, Any], Any]:
    """The Lambda handler for a function subscribed to a Queue (SQS) or a Topic (SNS)."""
    return lambda_entry(batch_logic(handle, idempotency), parse=message_events.from_aws, render=render_aws)


def fc_message_handler(
    handle: MessageHandler, *, idempotency: IdempotencyStore | None = None
) -> Callable[[Any, Any], Any]:
    """The FC 3.0 handler for a function subscribed to a Queue (EventBridge) or a Topic (MNS)."""
    return fc_entry(batch_logic(handle, idempotency), parse=message_events.from_ali, render=render_ali)
