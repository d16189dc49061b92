"""Each cloud provides every component's backend, and each backend the whole contract its
neutral module declares (the Protocols), so a neutral module can rely on it without asking
which cloud it runs on."""

from __future__ import annotations

import importlib
import inspect
from typing import Any

import pytest

from components import backends
from components.artifacts import ArtifactBackend, ArtifactBucket
from components.bucket import BucketBackend, NativeBucket
from components.database import DatabaseBackend, NativeDatabase
from components.function import FunctionBackend, NativeFunction
from components.queue import NativeQueue, QueueBackend
from components.schedule import ScheduleBackend
from components.topic import NativeTopic, TopicBackend

CONTRACTS: dict[str, type] = {
    "ServerlessFunction": FunctionBackend,
    "Bucket": BucketBackend,
    "Queue": QueueBackend,
    "Topic": TopicBackend,
    "Schedule": ScheduleBackend,
    "PgDatabase": DatabaseBackend,
    "ArtifactStore": ArtifactBackend,
}
# What each backend's create() returns, by the class each cloud uses.
NATIVE: dict[str, dict[str, str]] = {
    "aws": {
        "ServerlessFunction": "components.aws.function:AwsFunction",
        "Bucket": "components.aws.bucket:AwsBucket",
        "Queue": "components.aws.queue:AwsQueue",
        "Topic": "components.aws.topic:AwsTopic",
        "PgDatabase": "components.aws.database:AwsDatabase",
        "ArtifactStore": "components.aws.artifacts:AwsArtifactBucket",
    },
    "ali": {
        "ServerlessFunction": "components.ali.function:AliFunction",
        "Bucket": "components.ali.bucket:AliBucket",
        "Queue": "components.ali.queue:AliQueue",
        "Topic": "components.ali.topic:AliTopic",
        "PgDatabase": "components.ali.database:AliDatabase",
        "ArtifactStore": "components.ali.artifacts:AliArtifactBucket",
    },
}
NATIVE_CONTRACTS: dict[str, type] = {
    "ServerlessFunction": NativeFunction,
    "Bucket": NativeBucket,
    "Queue": NativeQueue,
    "Topic": NativeTopic,
    "PgDatabase": NativeDatabase,
    "ArtifactStore": ArtifactBucket,
}


def members(protocol: type) -> set[str]:
    """The names a Protocol declares: its methods, properties and annotated attributes."""
    names = {n for n, v in vars(protocol).items() if not n.startswith("_") and (callable(v) or isinstance(v, property))}
    return names | {n for n in getattr(protocol, "__annotations__", {}) if not n.startswith("_")}


def provided(obj: Any) -> set[str]:
    names = set(dir(obj))
    if inspect.isclass(obj):  # dataclass fields with no default are not class attributes
        names |= set(getattr(obj, "__dataclass_fields__", {}))
    return names


@pytest.mark.parametrize("cloud", ["aws", "ali"])
def test_each_cloud_provides_every_kind(cloud: str) -> None:
    package = importlib.import_module(f"components.{cloud}")
    assert sorted(package.BACKENDS) == sorted(CONTRACTS) == sorted(backends.KINDS)


@pytest.mark.parametrize("cloud", ["aws", "ali"])
@pytest.mark.parametrize("kind", sorted(CONTRACTS))
def test_backends_provide_the_whole_contract(cloud: str, kind: str) -> None:
    backend = importlib.import_module(f"components.{cloud}").BACKENDS[kind]
    assert members(CONTRACTS[kind]) - provided(backend) == set()
    for name in members(CONTRACTS[kind]):
        declared = getattr(CONTRACTS[kind], name, None)
        if callable(declared):
            wanted = list(inspect.signature(declared).parameters)[1:]  # without self
            assert list(inspect.signature(getattr(backend, name)).parameters) == wanted, name


@pytest.mark.parametrize("cloud", ["aws", "ali"])
@pytest.mark.parametrize("kind", sorted(NATIVE_CONTRACTS))
def test_native_resources_provide_what_the_neutral_layer_uses(cloud: str, kind: str) -> None:
    module, _, cls = NATIVE[cloud][kind].partition(":")
    native = getattr(importlib.import_module(module), cls)
    assert members(NATIVE_CONTRACTS[kind]) - provided(native) == set()
