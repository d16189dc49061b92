"""The SQS calls Lambda's event source mapping makes, against the local SQS endpoint.

An adapter beside ``Services`` (whose contract has single-message receive/delete without message
attribute types): the poller needs the full ReceiveMessage record (typed message attributes,
``ApproximateReceiveCount``...) for the Lambda event, DeleteMessageBatch, and
ChangeMessageVisibility to make a failed message visible when the visibility timeout passes on the
local clock. Uses the admin identity, like the ESM's service role.
"""

from __future__ import annotations

import contextlib
import time
from typing import Any


class SqsOps:
    def __init__(self, endpoint: str, region: str, env: dict[str, str]) -> None:
        import boto3
        from botocore.config import Config

        self._client = boto3.client(
            "sqs",
            endpoint_url=endpoint,
            region_name=region,
            aws_access_key_id=env.get("AWS_ACCESS_KEY_ID", "testing"),
            aws_secret_access_key=env.get("AWS_SECRET_ACCESS_KEY", "testing"),
            aws_session_token=env.get("AWS_SESSION_TOKEN") or None,
            config=Config(retries={"max_attempts": 2}, max_pool_connections=20),
        )
        self._urls: dict[str, str] = {}

    def url(self, queue: str) -> str:
        if queue not in self._urls:
            self._urls[queue] = self._client.get_queue_url(QueueName=queue)["QueueUrl"]
        return self._urls[queue]

    def receive(self, queue: str, max_messages: int, visibility_timeout_s: int) -> list[dict[str, Any]]:
        reply = self._client.receive_message(
            QueueUrl=self.url(queue),
            MaxNumberOfMessages=max(1, min(10, max_messages)),
            VisibilityTimeout=visibility_timeout_s,
            WaitTimeSeconds=0,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        )
        return reply.get("Messages", [])

    def delete_batch(self, queue: str, receipts: list[str]) -> None:
        for start in range(0, len(receipts), 10):
            chunk = receipts[start : start + 10]
            entries = [{"Id": str(i), "ReceiptHandle": r} for i, r in enumerate(chunk)]
            self._client.delete_message_batch(QueueUrl=self.url(queue), Entries=entries)

    def make_visible(self, queue: str, receipt: str) -> None:
        # A stale receipt (the message was received again meanwhile, in real time) is harmless.
        with contextlib.suppress(Exception):
            self._client.change_message_visibility(QueueUrl=self.url(queue), ReceiptHandle=receipt, VisibilityTimeout=0)

    def peek(self, queue: str, max_messages: int = 10) -> list[dict[str, Any]]:
        """Read without consuming (visibility 0): for inspecting a dead-letter queue."""
        out: dict[str, dict[str, Any]] = {}
        for _ in range(10):
            got = self.receive(queue, 10, 0)
            new = [m for m in got if m["MessageId"] not in out]
            if not new:
                break
            for m in new:
                out[m["MessageId"]] = m
            if len(out) >= max_messages:
                break
        return list(out.values())[:max_messages]


class MotoBackendSqs:
    """The same calls made on moto's SQS backend in this process, as Lambda's pollers run inside
    the service: no HTTP round trip per receive and delete (moto's server runs in-process here).
    Same semantics (receive counts, visibility, redrive to the dead-letter queue) as over HTTP,
    because it is moto's own code path behind its HTTP handler."""

    def __init__(self, account: str, region: str) -> None:
        from moto.sqs.models import sqs_backends

        self._backend = sqs_backends[account][region]
        _speed_up_retention_check(self._backend)

    @classmethod
    def attach(cls, account: str, region: str, queues: list[str]) -> MotoBackendSqs | None:
        """The backend when every queue exists in this process's moto, else None."""
        try:
            ops = cls(account, region)
        except Exception:
            return None
        return ops if all(q in ops._backend.queues for q in queues) else None

    def receive(self, queue: str, max_messages: int, visibility_timeout_s: int) -> list[dict[str, Any]]:
        got = self._backend.receive_message(queue, max(1, min(10, max_messages)), 0, visibility_timeout_s, ["All"])
        out = []
        for m in got:
            attrs = {
                "SenderId": m.sender_id,
                "SentTimestamp": str(m.sent_timestamp),
                "ApproximateReceiveCount": str(m.approximate_receive_count),
                "ApproximateFirstReceiveTimestamp": str(m.approximate_first_receive_timestamp),
            }
            record: dict[str, Any] = {
                "MessageId": m.id,
                "ReceiptHandle": m.receipt_handle,
                "MD5OfBody": m.body_md5,
                "Body": m.body,
                "Attributes": attrs,
            }
            if m.message_attributes:
                record["MessageAttributes"] = {k: dict(v) for k, v in m.message_attributes.items()}
                record["MD5OfMessageAttributes"] = m.attribute_md5
            out.append(record)
        return out

    def delete_batch(self, queue: str, receipts: list[str]) -> None:
        self._backend.delete_message_batch(queue, [{"Id": str(i), "ReceiptHandle": r} for i, r in enumerate(receipts)])

    def make_visible(self, queue: str, receipt: str) -> None:
        with contextlib.suppress(Exception):
            self._backend.change_message_visibility(queue, receipt, 0)

    def peek(self, queue: str, max_messages: int = 10) -> list[dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        for _ in range(10):
            new = [m for m in self.receive(queue, 10, 0) if m["MessageId"] not in out]
            if not new:
                break
            out.update((m["MessageId"], m) for m in new)
            if len(out) >= max_messages:
                break
        return list(out.values())[:max_messages]


def _speed_up_retention_check(backend: Any) -> None:
    """moto 5.2 checks each received message's retention by computing ALL of the queue's
    attributes (message counts included, each an O(queue) scan), which makes a receive O(n^2) and
    caps a local queue at ~150 msg/s. Same rule, reading the one attribute it needs; installed on
    this backend instance only, and only when the attribute is where moto 5.2 keeps it."""
    if getattr(backend, "_localcloud_fast_retention", False):
        return

    def valid(queue_name: str, message: Any) -> bool:
        queue = backend.get_queue(queue_name)
        period = getattr(queue, "message_retention_period", None)
        if period is None:  # another moto layout: keep its own check
            return type(backend).is_message_valid_based_on_retention_period(backend, queue_name, message)
        return int(period) + message.sent_timestamp / 1000 > time.time()

    backend.is_message_valid_based_on_retention_period = valid
    backend._localcloud_fast_retention = True
