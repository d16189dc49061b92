"""An in-memory data plane with the Services interface, for tests of the local cloud itself.

Queues keep SQS's rules (a receive hides a message and counts it; one received max_receive_count
times moves to the dead-letter queue on the next receive); objects and topic messages emit the
same events Services does."""

from __future__ import annotations

import hashlib
import threading
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from localcloud.services import ObjectCreated, QueuedMessage, TopicMessage


@dataclass
class _Msg:
    id: str
    body: str
    count: int = 0
    visible: bool = True
    receipt: str = ""
    sent: str = "2026-11-24T10:00:00.000Z"


@dataclass
class FakeQueues:
    """SQS semantics: receive hides and counts; SQS moves a message received max_receive_count
    times to the dead-letter queue on the next receive. Used as SqsOps (AWS) and as Services (Ali)."""

    redrive: dict[str, tuple[str, int]] = field(default_factory=dict)
    queues: dict[str, list[_Msg]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def send(self, queue: str, body: str) -> str:
        with self.lock:
            m = _Msg(uuid.uuid4().hex, body)
            self.queues.setdefault(queue, []).append(m)
            return m.id

    def _receive(self, queue: str, n: int) -> list[_Msg]:
        out = []
        with self.lock:
            for m in list(self.queues.get(queue, [])):
                if not m.visible:
                    continue
                if queue in self.redrive and m.count >= self.redrive[queue][1]:
                    self.queues[queue].remove(m)
                    m.visible, m.count = True, 0
                    self.queues.setdefault(self.redrive[queue][0], []).append(m)
                    continue
                m.count += 1
                m.visible = False
                m.receipt = uuid.uuid4().hex
                out.append(m)
                if len(out) >= n:
                    break
        return out

    # SqsOps
    def receive(self, queue: str, n: int, vis: int) -> list[dict]:
        return [
            {
                "MessageId": m.id,
                "ReceiptHandle": m.receipt,
                "Body": m.body,
                "Attributes": {"ApproximateReceiveCount": str(m.count), "SentTimestamp": "1"},
            }
            for m in self._receive(queue, n)
        ]

    def delete_batch(self, queue: str, receipts: list[str]) -> None:
        with self.lock:
            self.queues[queue] = [m for m in self.queues[queue] if m.receipt not in receipts]

    def make_visible(self, queue: str, receipt: str) -> None:
        with self.lock:
            for m in self.queues.get(queue, []):
                if m.receipt == receipt:
                    m.visible = True

    # Services (the parts the engine uses on Alibaba)
    def receive_messages(self, queue: str, n: int, vis: int) -> list[QueuedMessage]:
        return [QueuedMessage(m.id, m.receipt, m.body, {}, m.count, m.sent) for m in self._receive(queue, n)]

    def delete_message(self, queue: str, receipt: str) -> None:
        self.delete_batch(queue, [receipt])

    def send_message(self, queue: str, body: str, attributes: dict | None = None) -> str:
        return self.send(queue, body)

    def bodies(self, queue: str) -> list[str]:
        return sorted(m.body for m in self.queues.get(queue, []))


class FakeServices(FakeQueues):
    """``Services`` for LocalCloud(services_factory=...): queues as above, objects and topics."""

    def __init__(self, topology: Any, workdir: Path, on_event: Any) -> None:
        redrive = {q.name: (q.dead_letter, q.max_receive_count) for q in topology.queues.values() if q.dead_letter}
        super().__init__(redrive=redrive if topology.cloud == "aws" else {})
        self.topology = topology
        self.on_event = on_event
        self.objects: dict[str, dict[str, bytes]] = {b.name: dict(b.objects) for b in topology.buckets.values()}
        self.endpoints = {"fake": "http://127.0.0.1:9"}
        self.published: list[TopicMessage] = []

    def start(self) -> None:
        pass

    def stop(self) -> None:
        pass

    def function_environment(self, fn: Any) -> dict[str, str]:
        return dict(fn.environment)

    def admin_environment(self) -> dict[str, str]:
        return {}

    def put_object(self, bucket: str, key: str, body: bytes) -> None:
        self.objects[bucket][key] = body
        name = "ObjectCreated:Put" if self.topology.cloud == "aws" else "ObjectCreated:PutObject"
        etag = hashlib.md5(body).hexdigest()
        self.on_event(ObjectCreated(bucket, key, len(body), etag, name, "2026-11-24T10:00:00.000Z"))

    def get_object(self, bucket: str, key: str) -> bytes:
        return self.objects[bucket][key]

    def list_objects(self, bucket: str, prefix: str = "") -> list[str]:
        return sorted(k for k in self.objects[bucket] if k.startswith(prefix))

    def publish(self, topic: str, body: str, attributes: dict[str, str] | None = None) -> str:
        msg = TopicMessage(topic, uuid.uuid4().hex, body, dict(attributes or {}), "2026-11-24T10:00:00.000Z")
        self.published.append(msg)
        self.on_event(msg)
        return msg.message_id
