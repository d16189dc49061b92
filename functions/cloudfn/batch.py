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

Idempotency claims a message *before* running it and marks it done *after* success:

- ``begin`` answers ``"run"`` (this consumer now holds the claim), ``"done"`` (already
  succeeded: skipped) or ``"busy"`` (another consumer holds a live claim). A busy message is
  *failed*, not skipped, so the platform delivers it again later, when it is done (skipped) or
  its claim was released or expired (run). Two concurrent consumers of one message: one runs it.
- a handler that raises releases its claim, so the platform's retry runs the message again;
- a consumer that dies mid-message leaves its claim, which expires after ``lease_s`` (set it
  above the function's timeout); then the message runs again: at-least-once, never lost.

:class:`InMemoryIdempotencyStore` only remembers within one warm instance (a retry landing on
another instance or after a cold start processes again). :class:`ObjectStoreIdempotency` is
durable across instances on both clouds: claims are objects created with the store's atomic
``put_if_absent`` (S3 ``If-None-Match: *``, OSS ``x-oss-forbid-overwrite: true``).
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Literal, Protocol
from urllib.parse import quote

from cloudfn.drivers.objectstore import ObjectStore
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


Begin = Literal["run", "done", "busy"]


class IdempotencyStore(Protocol):
    """Claims message ids before they run and remembers which succeeded (module docstring)."""

    def begin(self, key: str) -> Begin:
        """``"run"``: this caller holds the claim now. ``"done"``: skip. ``"busy"``: held elsewhere."""
        ...

    def succeeded(self, key: str) -> None:
        """The claimed message ran successfully: later ``begin`` calls answer ``"done"``."""
        ...

    def failed(self, key: str) -> None:
        """The claimed message failed: release the claim so a retry can run it."""
        ...


class InMemoryIdempotencyStore:
    """Bounded LRU of ids, per warm instance only (see the module docstring)."""

    def __init__(self, max_entries: int = 10_000, ttl_s: float | None = None) -> None:
        if max_entries < 1:
            raise ValueError("max_entries must be at least 1")
        self.max_entries = max_entries
        self.ttl_s = ttl_s
        self._done: OrderedDict[str, float] = OrderedDict()
        self._running: set[str] = set()

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

    def begin(self, key: str) -> Begin:
        if self.seen(key):
            return "done"
        if key in self._running:
            return "busy"
        self._running.add(key)
        return "run"

    def succeeded(self, key: str) -> None:
        self._running.discard(key)
        self.record(key)

    def failed(self, key: str) -> None:
        self._running.discard(key)


_CLAIM = re.compile(r"^claim-(?P<n>[0-9]{6})$")


class ObjectStoreIdempotency:
    """Durable claims and done-markers as objects of an :class:`ObjectStore`, on either cloud.

    For message id ``m`` (percent-encoded) under ``prefix``:

    - ``m/claim-000000``, ``m/claim-000001``, ... : claims, each created with ``put_if_absent``,
      so of two consumers racing for the same claim exactly one gets it;
    - ``m/claim-<n>.released``: claim ``n`` failed and was given back;
    - ``m/done``: the message succeeded.

    ``begin`` lists ``m/`` (one request) and, unless the message is done or its latest claim is
    live, creates the next claim. A claim is live until released or until ``lease_s`` after the
    store stamped it (set ``lease_s`` above the function's timeout). Objects are never
    overwritten or deleted, so no step needs more than create-if-absent; expire ``prefix`` with a
    lifecycle rule older than the platform's retry window.

    The function needs, on ``<bucket>/<prefix>*``: S3 ``s3:PutObject`` and ``s3:ListBucket``
    (with an ``s3:prefix`` condition); OSS ``oss:PutObject`` and ``oss:ListObjects``.
    """

    def __init__(
        self,
        store: ObjectStore,
        prefix: str = "idempotency/",
        *,
        lease_s: float = 900.0,
        clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
    ) -> None:
        self.store = store
        self.prefix = prefix
        self.lease_s = lease_s
        self._clock = clock
        self._local = InMemoryIdempotencyStore(max_entries=1_000)
        self._claims: dict[str, int] = {}
        self._token = uuid.uuid4().hex  # who holds a claim, for the humans reading the markers

    def _base(self, key: str) -> str:
        return f"{self.prefix}{quote(key, safe='')}/"

    def begin(self, key: str) -> Begin:
        if self._local.seen(key):
            return "done"
        base = self._base(key)
        found = {info.key[len(base) :]: info for info in self.store.list(base)}
        if "done" in found:
            self._local.record(key)
            return "done"
        claims = sorted(int(m["n"]) for name in found if (m := _CLAIM.match(name)))
        target = 0
        if claims:
            latest = claims[-1]
            stamp = found[f"claim-{latest:06d}"].last_modified
            released = f"claim-{latest:06d}.released" in found
            expired = stamp is not None and (self._clock() - stamp).total_seconds() >= self.lease_s
            if not released and not expired:
                return "busy"
            target = latest + 1
        claim = json.dumps({"by": self._token, "at": self._clock().isoformat()})
        if not self.store.put_if_absent(f"{base}claim-{target:06d}", claim, content_type="application/json"):
            return "busy"  # another consumer created this claim first
        self._claims[key] = target
        return "run"

    def succeeded(self, key: str) -> None:
        self._claims.pop(key, None)
        self.store.put(self._base(key) + "done", self._token, content_type="text/plain")
        self._local.record(key)

    def failed(self, key: str) -> None:
        n = self._claims.pop(key, None)
        if n is not None:
            self.store.put(f"{self._base(key)}claim-{n:06d}.released", self._token, content_type="text/plain")


def durable_idempotency(
    binding: str, prefix: str = "idempotency/", *, lease_s: float = 900.0
) -> ObjectStoreIdempotency:
    """:class:`ObjectStoreIdempotency` over the bucket bound as ``binding``, on the current cloud."""
    from cloudfn.drivers import objectstore

    return ObjectStoreIdempotency(objectstore.from_env(binding), prefix, lease_s=lease_s)


def s3_marker_store(client: Any, bucket: str, prefix: str = "idempotency/") -> ObjectStoreIdempotency:
    """:class:`ObjectStoreIdempotency` over one S3 bucket through ``client`` (a boto3 S3 client)."""
    from cloudfn.drivers.s3 import S3ObjectStore

    return ObjectStoreIdempotency(S3ObjectStore(bucket, client), prefix)


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
        # A message without a real id (MNS STREAM) is never deduplicated: skipping a second
        # publication of the same body would lose it.
        claimed = idempotency is not None and message.deduplicate
        if idempotency is not None and claimed:
            try:
                state = idempotency.begin(message.id)
            except Exception as exc:  # the store is unreachable: fail this message, keep the others
                inv.logger.error("message %s: idempotency claim failed: %s: %s", message.id, type(exc).__name__, exc)
                failed.append(message.id)
                continue
            if state == "done":
                result.skipped.append(message.id)
                continue
            if state == "busy":
                # Failed, not skipped: the platform delivers it again, by when it is done or free.
                inv.logger.warning("message %s is being processed by another consumer; left for a retry", message.id)
                failed.append(message.id)
                continue
        try:
            handle(message, inv)
        except Exception as exc:  # any failure of one message must not lose the others
            inv.logger.error("message %s from %s failed: %s: %s", message.id, message.source, type(exc).__name__, exc)
            failed.append(message.id)
            if idempotency is not None and claimed:
                _quietly(idempotency.failed, message.id, inv)
            continue
        succeeded.append(message.id)
        if idempotency is not None and claimed:
            # The work is done: a failed marker write must not report it failed (and repeat it
            # now); the claim then expires and a later redelivery repeats it once (at-least-once).
            _quietly(idempotency.succeeded, message.id, inv)
    result.partial_ok = all_queue and inv.cloud == "aws"
    return result


def _quietly(step: Callable[[str], None], key: str, inv: Invocation) -> None:
    try:
        step(key)
    except Exception as exc:
        inv.logger.error("message %s: idempotency %s failed: %s: %s", key, step.__name__, type(exc).__name__, exc)


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
