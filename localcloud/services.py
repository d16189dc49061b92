"""The cloud's data plane on 127.0.0.1.

Interface agreed in /work/notes/LOCALCLOUD-CONTRACT.md; changes only add, never remove or rename.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from localcloud.topology import FunctionSpec, Topology


@dataclass(frozen=True)
class ObjectCreated:  # emitted whenever ANY identity (a function, the CLI) creates an object
    bucket: str
    key: str
    size: int
    etag: str
    event_name: str
    time: str


@dataclass(frozen=True)
class TopicMessage:
    topic: str
    message_id: str
    body: str
    attributes: dict[str, str]
    time: str


@dataclass(frozen=True)
class QueuedMessage:
    message_id: str
    receipt: str
    body: str
    attributes: dict[str, str]
    receive_count: int
    sent_time: str


Event = ObjectCreated | TopicMessage


class Services:
    """The cloud's data plane on 127.0.0.1: moto[server] (S3, SQS, SNS, IAM, STS, Secrets Manager) with
    IAM enforcement for AWS; the OSS and MNS servers with RAM enforcement for Alibaba; PostgreSQL when the
    topology has a database. Creates every bucket (+ initial objects), queue, dead-letter queue and topic
    the topology declares. Refuses invalid policies at start (PolicyError naming function, policy, Sid)."""

    endpoints: dict[str, str]

    def __init__(self, topology: Topology, workdir: Path, on_event: Callable[[Event], None]):
        self.topology = topology
        self.workdir = workdir
        self.on_event = on_event
        self.endpoints = {}

    def start(self) -> None:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def function_environment(self, fn: FunctionSpec) -> dict[str, str]:
        raise NotImplementedError

    def admin_environment(self) -> dict[str, str]:
        raise NotImplementedError

    def put_object(self, bucket: str, key: str, body: bytes) -> None:
        raise NotImplementedError

    def get_object(self, bucket: str, key: str) -> bytes:
        raise NotImplementedError

    def list_objects(self, bucket: str, prefix: str = "") -> list[str]:
        raise NotImplementedError

    def send_message(self, queue: str, body: str, attributes: dict[str, str] | None = None) -> str:
        raise NotImplementedError

    def receive_messages(self, queue: str, max_messages: int, visibility_timeout_s: int) -> list[QueuedMessage]:
        raise NotImplementedError

    def delete_message(self, queue: str, receipt: str) -> None:
        raise NotImplementedError

    def publish(self, topic: str, body: str, attributes: dict[str, str] | None = None) -> str:
        raise NotImplementedError

    def authorize(self, fn: FunctionSpec, action: str, resource: str) -> bool:
        raise NotImplementedError
