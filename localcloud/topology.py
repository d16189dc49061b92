"""The application's topology, built only from the resource graph the real program records.

Interface agreed in /work/notes/LOCALCLOUD-CONTRACT.md; changes only add, never remove or rename.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class FunctionSpec:
    name: str  # physical function name as deployed
    component: str  # the ServerlessFunction's logical name ("basic")
    code: str  # folder under functions/
    artifact: Path  # the zip the program built for this stack, as deployed
    handler: str  # as deployed: "entry_aws.handler" / "entry_ali.handler"
    runtime: str  # "python3.12", "python3.10", ...
    memory_mb: int
    timeout_s: int
    environment: dict[str, str]  # exactly as deployed (secrets revealed)
    role: str  # role ARN (acs:ram::... / arn:aws:iam::...)
    policies: tuple[dict, ...]  # every policy document attached to that role (decoded JSON)
    vpc: bool


@dataclass(frozen=True)
class Notification:  # object created -> function
    function: str
    events: tuple[str, ...]
    prefix: str
    suffix: str


@dataclass(frozen=True)
class BucketSpec:
    name: str
    component: str
    notifications: tuple[Notification, ...]
    objects: dict[str, bytes]


@dataclass(frozen=True)
class QueueSubscription:
    function: str
    batch_size: int
    window_s: int
    report_batch_item_failures: bool  # AWS ESM FunctionResponseTypes
    retry_attempts: int | None  # Alibaba EventBridge retry before dead-letter (None on AWS)
    dead_letter: str | None  # Alibaba: the trigger's dead-letter queue name


@dataclass(frozen=True)
class QueueSpec:
    name: str
    component: str
    dead_letter: str | None
    max_receive_count: int | None
    visibility_timeout_s: int
    subscriptions: tuple[QueueSubscription, ...]


@dataclass(frozen=True)
class TopicSpec:
    name: str
    component: str
    subscriptions: tuple[str, ...]  # function names
    format: str  # "JSON"/"STREAM" on Alibaba, "sns" on AWS


@dataclass(frozen=True)
class ScheduleSpec:
    name: str
    component: str
    function: str
    expression: str  # cloud-native, exactly as deployed
    timezone: str | None
    payload: str  # exactly the input/payload string as deployed (placeholders left in)
    enabled: bool


@dataclass(frozen=True)
class DatabaseSpec:
    name: str
    component: str
    database_name: str
    user: str
    engine_version: str
    env_prefix: str  # "DB_<B>_" : the settings the connected functions read


@dataclass(frozen=True)
class Topology:
    cloud: str
    region: str
    account: str
    project_dir: Path
    functions: dict[str, FunctionSpec]
    buckets: dict[str, BucketSpec]
    queues: dict[str, QueueSpec]
    topics: dict[str, TopicSpec]
    schedules: dict[str, ScheduleSpec]
    databases: dict[str, DatabaseSpec]


def load(
    cloud: str,
    *,
    samples: list[str] | None = None,
    project_dir: Path | None = None,
    config: dict[str, object] | None = None,
) -> Topology:
    """Evaluate the program (project_dir/__main__.py) under mocks for that cloud and build its topology."""
    raise NotImplementedError
