"""The SQS calls Lambda's event source mapping makes, against the local SQS endpoint.

An adapter beside ``Services`` (whose contract has single-message receive/delete without message
attribute types): the poller needs the full ReceiveMessage record (typed message attributes,
``ApproximateReceiveCount``...) for the Lambda event, DeleteMessageBatch, and
ChangeMessageVisibility to make a failed message visible when the visibility timeout passes on the
local clock. Uses the admin identity, like the ESM's service role.
"""

from __future__ import annotations

import contextlib
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
