"""Delivery rules: what each cloud's event sources do between a change and a function.

Every invocation goes through one worker per function (concurrency 1, like one warm instance), so
a function never runs twice at once; different functions run in parallel.

- Object created (``Services`` emits ``ObjectCreated`` for ANY writer) -> every bucket
  notification whose event names, prefix and suffix match -> one asynchronous invocation with the
  S3 ``Records`` / OSS ``events`` payload. A failed asynchronous invocation is retried: Lambda twice
  (1 min, then 2 min later: https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html),
  FC three times (https://www.alibabacloud.com/help/en/functioncompute/fc/error-handling-1-2; FC gives
  no interval, 10 s here); retries wait on the local clock.
- SQS queue (AWS event source mapping): a poller receives up to ``batch_size`` messages (gathering
  for ``window_s`` when set) with the queue's visibility timeout and invokes synchronously.
  Success deletes the batch; with ``ReportBatchItemFailures`` only the reported ids stay (an id that
  is empty or not in the batch fails the whole batch, as Lambda does); a function error, crash or
  timeout deletes nothing. What stays becomes visible again when the visibility timeout has passed on
  the local clock (or in real time), and SQS itself moves a message to the dead-letter queue once it
  has been received ``max_receive_count`` times. Nothing is lost: a message leaves the queue only by a
  delete after success, or into the dead-letter queue.
- MNS queue (Alibaba, EventBridge event streaming): a batch of CloudEvents (``CountBasedWindow`` /
  ``TimeBasedWindow``), taken off the queue into the stream, pushed synchronously; on any failure the
  WHOLE batch is pushed again (``BACKOFF_RETRY``: ``retry_attempts`` retries, 3 by default, 10 s apart
  on the local clock, the lower bound of the documented 10-20 s), then each event goes to the trigger's
  dead-letter queue (``errorsTolerance: ALL``). See docs/messaging.md.
- Topic -> SNS ``Records`` (Lambda async, retried as above) / MNS topic push in the topic's
  ``notifyContentFormat`` (JSON or STREAM), retried 3 times 10 s apart (``BACKOFF_RETRY``).
- Schedule -> EventBridge Scheduler's input (placeholder substituted) / the FC timer event, when the
  local clock reaches the next fire time; ``fire`` sends one now.
"""

from __future__ import annotations

import fnmatch
import itertools
import json
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from localcloud import shapes
from localcloud.clock import Clock, next_fire
from localcloud.runtime.runner import FunctionRunner, InvokeOutcome
from localcloud.services import Event, ObjectCreated, Services, TopicMessage
from localcloud.topology import FunctionSpec, QueueSpec, QueueSubscription, ScheduleSpec, Topology

__all__ = ["InvocationRecord", "NotFound", "TriggerEngine"]

LAMBDA_ASYNC_RETRY_DELAYS_S = (60.0, 120.0)
FC_ASYNC_RETRY_DELAYS_S = (10.0, 10.0, 10.0)
MNS_TOPIC_RETRY_DELAYS_S = (10.0, 10.0, 10.0)
EVENTBRIDGE_RETRY_DELAY_S = 10.0
EVENTBRIDGE_DEFAULT_RETRIES = 3
_POLL_IDLE_S = 0.05


class NotFound(LookupError):
    """An unknown resource name; the message lists what exists."""

    def __init__(self, kind: str, name: str, existing: list[str]) -> None:
        self.kind, self.name, self.existing = kind, name, existing
        have = ", ".join(sorted(existing)) or "none"
        super().__init__(f"no {kind} named {name!r}; the local cloud has: {have}")


@dataclass
class InvocationRecord:
    seq: int
    time: str  # local-clock time of the invocation
    function: str
    trigger: str  # "api", "s3:<bucket>", "sqs:<queue>", "mns:<queue>", "sns:<topic>", "schedule:<name>", ...
    request_id: str
    event: Any
    ok: bool
    result: Any
    error: dict[str, Any] | None
    duration_ms: float
    cold: bool
    crashed: bool
    attempt: int = 1

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _displayable(event: Any) -> Any:
    if isinstance(event, bytes):
        try:
            return json.loads(event)
        except ValueError:
            return event.decode("utf-8", errors="replace")
    return event


@dataclass
class _Subscription:
    queue: QueueSpec
    sub: QueueSubscription
    empty_poll_started: float = 0.0
    batches: int = 0
    stream: deque[list[dict[str, Any]]] = field(default_factory=deque)


class TriggerEngine:
    """Wires the topology's triggers to the function runners."""

    def __init__(
        self,
        topology: Topology,
        services: Services,
        runners: dict[str, FunctionRunner],
        clock: Clock,
        *,
        on_invocation: Callable[[InvocationRecord], None] | None = None,
        log: Callable[[str], None] = print,
        sqs: Any = None,
    ) -> None:
        self.topology = topology
        self.services = services
        self.runners = runners
        self.clock = clock
        self.on_invocation = on_invocation
        self.log = log
        self.cloud = topology.cloud
        self._sqs = sqs  # localcloud.sqs_ops.SqsOps on AWS
        self._functions: dict[str, FunctionSpec] = {}
        for key, spec in topology.functions.items():
            self._functions[key] = spec
            self._functions.setdefault(spec.name, spec)
            self._functions.setdefault(spec.component, spec)
        self._workers: dict[str, ThreadPoolExecutor] = {}
        self._seq = itertools.count(1)
        self._busy = 0
        self._busy_lock = threading.Condition()
        self._last_activity = time.monotonic()
        self._stop = threading.Event()
        self._pollers: list[threading.Thread] = []
        self._subs: list[_Subscription] = []
        self._schedule_tasks: dict[str, Any] = {}
        self._created: datetime | None = None
        self.inflight_redeliveries: dict[str, str] = {}  # message id -> due time, for display

    # -- names -------------------------------------------------------------

    def function(self, name: str) -> FunctionSpec:
        spec = self._functions.get(name)
        if spec is None:
            raise NotFound("function", name, [s.name for s in self.topology.functions.values()])
        return spec

    def schedule(self, name: str) -> ScheduleSpec:
        for key, spec in self.topology.schedules.items():
            if name in (key, spec.name, spec.component):
                return spec
        raise NotFound("schedule", name, [s.name for s in self.topology.schedules.values()])

    # -- lifecycle ---------------------------------------------------------

    def start(self) -> None:
        for spec in self.topology.functions.values():
            self._workers[spec.name] = ThreadPoolExecutor(1, thread_name_prefix=f"fn-{spec.name}")
        for queue in self.topology.queues.values():
            for sub in queue.subscriptions:
                s = _Subscription(queue, sub)
                self._subs.append(s)
                target = self._poll_sqs if self.cloud == "aws" else self._poll_mns
                thread = threading.Thread(target=self._guard, args=(target, s), name=f"poll-{queue.name}", daemon=True)
                self._pollers.append(thread)
                thread.start()
        self._created = self.clock.now()
        for spec in self.topology.schedules.values():
            if spec.enabled:
                self._arm(spec, self._created)

    def stop(self) -> None:
        self._stop.set()
        for thread in self._pollers:
            thread.join(3)
        for task in self._schedule_tasks.values():
            task.cancel()
        for worker in self._workers.values():
            worker.shutdown(wait=True, cancel_futures=True)

    def _guard(self, target: Callable[[_Subscription], None], s: _Subscription) -> None:
        while not self._stop.is_set():
            try:
                target(s)
                return
            except Exception:  # a poller must survive a transient data-plane error
                self.log(f"localcloud: poller for {s.queue.name} failed, retrying:\n{traceback.format_exc()}")
                self._stop.wait(1.0)

    # -- bookkeeping -------------------------------------------------------

    def _begin(self) -> None:
        with self._busy_lock:
            self._busy += 1
            self._last_activity = time.monotonic()

    def _end(self) -> None:
        with self._busy_lock:
            self._busy -= 1
            self._last_activity = time.monotonic()
            self._busy_lock.notify_all()

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """True once no invocation is queued or running and every poller found its queue empty
        after the last activity. Retries waiting on the clock do not count (advance the clock)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._busy_lock:
                busy, last = self._busy, self._last_activity
            if busy == 0 and all(s.empty_poll_started > last for s in self._subs):
                time.sleep(0.05)  # let a just-finished poll or emitted event register
                with self._busy_lock:
                    if self._busy == 0 and self._last_activity == last:
                        return True
            time.sleep(0.02)
        return False

    def _submit(self, function: str, work: Callable[[], Any]) -> Future[Any]:
        self._begin()

        def run() -> Any:
            try:
                return work()
            finally:
                self._end()

        worker = self._workers.get(function)
        if worker is None:
            self._end()
            raise NotFound("function", function, list(self._workers))
        return worker.submit(run)

    def _invoke_now(self, spec: FunctionSpec, event: Any, trigger: str, attempt: int = 1) -> InvocationRecord:
        runner = self.runners[spec.name]
        when = shapes.iso_ms(self.clock.now())
        outcome: InvokeOutcome = runner.invoke(event)
        record = InvocationRecord(
            next(self._seq),
            when,
            spec.name,
            trigger,
            outcome.request_id,
            _displayable(event),
            outcome.ok,
            outcome.payload,
            outcome.error,
            round(outcome.duration_ms, 2),
            outcome.cold,
            outcome.crashed,
            attempt,
        )
        if self.on_invocation is not None:
            self.on_invocation(record)
        return record

    # -- direct invocation and asynchronous delivery ------------------------

    def invoke(self, function: str, event: Any, *, trigger: str = "api") -> InvocationRecord:
        """A synchronous invocation (the Invoke API); waits behind the function's running work."""
        spec = self.function(function)
        return self._submit(spec.name, lambda: self._invoke_now(spec, event, trigger)).result()

    def _async(
        self, spec: FunctionSpec, event: Any, trigger: str, delays: tuple[float, ...], attempt: int = 1
    ) -> Future:
        def work() -> InvocationRecord:
            record = self._invoke_now(spec, event, trigger, attempt)
            if not record.ok:
                if attempt <= len(delays):
                    delay = delays[attempt - 1]
                    self.log(
                        f"localcloud: {spec.name} failed on {trigger} (attempt {attempt}); retry in {delay:g} s "
                        "on the local clock"
                    )
                    self.clock.call_later(
                        delay,
                        lambda _t: self._async(spec, event, trigger, delays, attempt + 1),
                        name=f"retry {spec.name} ({trigger})",
                    )
                else:
                    self.log(f"localcloud: {spec.name} failed on {trigger} after {attempt} attempts; event dropped")
            return record

        return self._submit(spec.name, work)

    def _async_delays(self) -> tuple[float, ...]:
        return LAMBDA_ASYNC_RETRY_DELAYS_S if self.cloud == "aws" else FC_ASYNC_RETRY_DELAYS_S

    # -- data-plane events -------------------------------------------------

    def on_event(self, event: Event) -> None:
        """Called by Services for every object created and every topic message (any thread)."""
        if isinstance(event, ObjectCreated):
            self._object_created(event)
        elif isinstance(event, TopicMessage):
            self._topic_message(event)

    def _object_created(self, ev: ObjectCreated) -> None:
        for bucket in self.topology.buckets.values():
            if bucket.name != ev.bucket:
                continue
            for index, note in enumerate(bucket.notifications):
                if not _event_matches(note.events, ev.event_name):
                    continue
                if not (ev.key.startswith(note.prefix) and ev.key.endswith(note.suffix)):
                    continue
                spec = self.function(note.function)
                when = _parse_time(ev.time) or self.clock.now()
                common = {
                    "bucket": ev.bucket,
                    "key": ev.key,
                    "size": ev.size,
                    "etag": ev.etag,
                    "event_name": ev.event_name,
                    "when": when,
                    "region": self.topology.region,
                }
                if self.cloud == "aws":
                    config_id = f"{bucket.component}-to-{spec.component}-{index}"
                    event: Any = {"Records": [shapes.s3_record(**common, config_id=config_id)]}
                    trigger = f"s3:{ev.bucket}"
                else:
                    doc = {"events": [shapes.oss_event(**common, account=self.topology.account)]}
                    event, trigger = json.dumps(doc).encode(), f"oss:{ev.bucket}"
                self._async(spec, event, trigger, self._async_delays())

    def _topic_message(self, msg: TopicMessage) -> None:
        for topic in self.topology.topics.values():
            if topic.name != msg.topic:
                continue
            for function in topic.subscriptions:
                spec = self.function(function)
                when = _parse_time(msg.time) or self.clock.now()
                if self.cloud == "aws":
                    arn = f"arn:aws:sns:{self.topology.region}:{self.topology.account}:{topic.name}"
                    event: Any = shapes.sns_event(
                        topic_arn=arn,
                        message_id=msg.message_id,
                        body=msg.body,
                        attributes=dict(msg.attributes),
                        when=when,
                        region=self.topology.region,
                    )
                    self._async(spec, event, f"sns:{topic.name}", LAMBDA_ASYNC_RETRY_DELAYS_S)
                else:
                    event = shapes.mns_topic_notification(
                        topic=topic.name,
                        message_id=msg.message_id,
                        body=msg.body,
                        attributes=dict(msg.attributes),
                        when=when,
                        account=self.topology.account,
                        subscription=f"{topic.name}-{spec.name}",
                        notify_format=topic.format if topic.format.upper() in ("JSON", "STREAM") else "JSON",
                    )
                    self._async(spec, event, f"mns-topic:{topic.name}", MNS_TOPIC_RETRY_DELAYS_S)

    # -- schedules ---------------------------------------------------------

    def _arm(self, spec: ScheduleSpec, after: datetime) -> None:
        assert self._created is not None
        due = next_fire(spec.expression, spec.timezone, after, self._created)
        if due is None:
            return

        def fire(at: datetime) -> None:
            self._fire(spec, at)
            self._arm(spec, at)

        self._schedule_tasks[spec.name] = self.clock.call_at(due, fire, name=f"schedule {spec.name}")

    def _schedule_event(self, spec: ScheduleSpec, at: datetime) -> Any:
        if self.cloud == "aws":
            return shapes.scheduler_input(spec.payload, at)
        return shapes.fc_timer_event(trigger=spec.name, payload=spec.payload, when=at)

    def _fire(self, spec: ScheduleSpec, at: datetime) -> Future:
        target = self.function(spec.function)
        return self._async(target, self._schedule_event(spec, at), f"schedule:{spec.name}", self._async_delays())

    def fire(self, name: str) -> InvocationRecord:
        """Fire a schedule now (local-clock time) and wait for that first attempt's result."""
        spec = self.schedule(name)
        return self._fire(spec, self.clock.now().replace(microsecond=0)).result()

    def next_fires(self) -> dict[str, str]:
        out = {}
        for due, name in self.clock.pending():
            if name.startswith("schedule "):
                out[name.removeprefix("schedule ")] = shapes.iso_s(due)
        return out

    # -- SQS (AWS) ---------------------------------------------------------

    def _gather(self, s: _Subscription, receive: Callable[[int], list[Any]]) -> list[Any]:
        """Up to batch_size messages; with a window, keep gathering until it closes."""
        batch: list[Any] = []
        deadline: float | None = None
        while not self._stop.is_set():
            started = time.monotonic()
            got = receive(s.sub.batch_size - len(batch))
            if got:
                batch += got
                if deadline is None:
                    deadline = time.monotonic() + s.sub.window_s
            elif not batch:
                s.empty_poll_started = started
            if len(batch) >= s.sub.batch_size:
                return batch
            if batch and (not got or s.sub.window_s == 0) and time.monotonic() >= (deadline or 0):
                return batch
            if not got:
                self._stop.wait(_POLL_IDLE_S)
        return batch

    def _poll_sqs(self, s: _Subscription) -> None:
        queue, sub = s.queue, s.sub
        spec = self.function(sub.function)
        arn = f"arn:aws:sqs:{self.topology.region}:{self.topology.account}:{queue.name}"
        while not self._stop.is_set():
            batch = self._gather(s, lambda n: self._sqs.receive(queue.name, min(10, n), queue.visibility_timeout_s))
            if not batch:
                continue
            self._begin()
            try:
                s.batches += 1
                event = {"Records": [shapes.sqs_record(m, queue_arn=arn, region=self.topology.region) for m in batch]}
                trigger = f"sqs:{queue.name}"
                record = self._submit(spec.name, lambda ev=event, t=trigger: self._invoke_now(spec, ev, t)).result()
                failed = _failed_ids(record, [m["MessageId"] for m in batch], sub.report_batch_item_failures)
                done = [m["ReceiptHandle"] for m in batch if m["MessageId"] not in failed]
                if done:
                    self._sqs.delete_batch(queue.name, done)
                for m in batch:
                    if m["MessageId"] in failed:
                        self._redeliver_later(queue, m)
            finally:
                self._end()

    def _redeliver_later(self, queue: QueueSpec, message: dict[str, Any]) -> None:
        due = self.clock.now() + timedelta(seconds=queue.visibility_timeout_s)
        self.inflight_redeliveries[message["MessageId"]] = shapes.iso_s(due)

        def visible(_t: datetime) -> None:
            self.inflight_redeliveries.pop(message["MessageId"], None)
            self._sqs.make_visible(queue.name, message["ReceiptHandle"])

        self.clock.call_later(queue.visibility_timeout_s, visible, name=f"visible {queue.name} {message['MessageId']}")

    # -- MNS through EventBridge (Alibaba) ----------------------------------

    def _poll_mns(self, s: _Subscription) -> None:
        queue, sub = s.queue, s.sub
        spec = self.function(sub.function)
        bus = f"MNS-{spec.name}-{queue.name}"
        while not self._stop.is_set():
            batch = self._gather(
                s, lambda n: self.services.receive_messages(queue.name, min(16, n), queue.visibility_timeout_s)
            )
            if not batch:
                continue
            self._begin()
            try:
                now = self.clock.now()
                events = [
                    shapes.mns_queue_cloudevent(
                        message_id=m.message_id,
                        body=shapes.decode_mns_body(m.body),
                        sent=_parse_time(m.sent_time) or now,
                        now=now,
                        queue=queue.name,
                        bus=bus,
                        region=self.topology.region,
                        account=self.topology.account,
                    )
                    for m in batch
                ]
                # Event streaming takes the messages off the queue into the stream; from here the
                # stream's retry and dead-letter rules keep them.
                for m in batch:
                    self.services.delete_message(queue.name, m.receipt)
                s.batches += 1
                self._push_stream(spec, queue, sub, events, 1)
            finally:
                self._end()

    def _push_stream(
        self, spec: FunctionSpec, queue: QueueSpec, sub: QueueSubscription, events: list[dict[str, Any]], attempt: int
    ) -> None:
        body = json.dumps(events).encode()
        trigger = f"mns:{queue.name}"
        record = self._submit(spec.name, lambda: self._invoke_now(spec, body, trigger, attempt)).result()
        if record.ok:
            return
        retries = EVENTBRIDGE_DEFAULT_RETRIES if sub.retry_attempts is None else sub.retry_attempts
        if attempt <= retries:
            self.log(
                f"localcloud: {spec.name} failed a batch of {len(events)} from {queue.name} (attempt {attempt}); "
                f"the whole batch is pushed again in {EVENTBRIDGE_RETRY_DELAY_S:g} s on the local clock"
            )
            self.clock.call_later(
                EVENTBRIDGE_RETRY_DELAY_S,
                again_wrapper(self, lambda _t: self._push_stream(spec, queue, sub, events, attempt + 1)),
                name=f"retry {trigger}",
            )
            return
        if sub.dead_letter:
            for ev in events:
                self.services.send_message(sub.dead_letter, json.dumps(ev))
            self.log(
                f"localcloud: batch of {len(events)} from {queue.name} failed {attempt} times; "
                f"sent to dead-letter queue {sub.dead_letter}"
            )
        else:
            self.log(
                f"localcloud: batch of {len(events)} from {queue.name} failed {attempt} times "
                "and has no dead-letter queue; dropped"
            )

    # -- status ------------------------------------------------------------

    def status(self) -> dict[str, Any]:
        return {
            "pollers": [{"queue": s.queue.name, "function": s.sub.function, "batches": s.batches} for s in self._subs],
            "schedules": self.next_fires(),
            "pending": [{"due": shapes.iso_s(d), "what": n} for d, n in self.clock.pending()],
        }


def again_wrapper(engine: TriggerEngine, again: Callable[[datetime], None]) -> Callable[[datetime], None]:
    def run(t: datetime) -> None:
        engine._begin()
        try:
            again(t)
        finally:
            engine._end()

    return run


def _event_matches(patterns: tuple[str, ...], event_name: str) -> bool:
    """``s3:ObjectCreated:*`` / ``oss:ObjectCreated:PutObject`` against ``ObjectCreated:Put``."""
    if not patterns:
        return True
    for pattern in patterns:
        bare = pattern.split(":", 1)[1] if pattern.split(":", 1)[0] in ("s3", "oss") else pattern
        if fnmatch.fnmatchcase(event_name, bare):
            return True
    return False


def _failed_ids(record: InvocationRecord, ids: list[str], partial: bool) -> set[str]:
    """Which messages of an SQS batch stay on the queue (Lambda's rules)."""
    if not record.ok:
        return set(ids)
    if not partial or not isinstance(record.result, dict):
        return set()
    failures = record.result.get("batchItemFailures")
    if failures is None:
        return set()
    if not isinstance(failures, list):
        return set(ids)
    failed: set[str] = set()
    for item in failures:
        ident = item.get("itemIdentifier") if isinstance(item, dict) else None
        if not ident or ident not in ids:
            return set(ids)  # an invalid report fails the whole batch
        failed.add(ident)
    return failed


def _parse_time(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
