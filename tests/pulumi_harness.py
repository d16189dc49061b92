"""Runs a Pulumi program under mocks and records every resource and invoke, for exact assertions.

``deploy("aws", program)`` sets the stack's config, runs ``program(app)`` inside
``Application.load()`` exactly as ``__main__.py`` does, waits until every resource is
registered, and returns a :class:`Deployment` to query.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi
from pulumi.runtime.stack import wait_for_rpcs
from pulumi.runtime.sync_await import _sync_await

from components.app import Application
from samples import registered

PROJECT = "multicloud"
ACCOUNT = {"aws": "123456789012", "ali": "5939306421830868"}
REGION = {"aws": "us-east-1", "ali": "cn-hangzhou"}
BASE_CONFIG = {
    "aws": {f"{PROJECT}:cloud": "aws", "aws:region": REGION["aws"]},
    "ali": {f"{PROJECT}:cloud": "ali", "alicloud:region": REGION["ali"]},
}


def _aws_arn(service: str, region: str, account: str, resource: str) -> str:
    return f"arn:aws:{service}:{region}:{account}:{resource}"


# Outputs a provider computes, per resource type: f(inputs, name, region, account) -> extra state.
# Components' own tests extend this table for the types they add.
OUTPUTS: dict[str, Callable[[dict[str, Any], str, str, str], dict[str, Any]]] = {
    "aws:iam/role:Role": lambda i, n, r, a: {
        "arn": f"arn:aws:iam::{a}:role/{i.get('name', n)}",
        "name": i.get("name", n),
    },
    "aws:lambda/function:Function": lambda i, n, r, a: {
        "arn": _aws_arn("lambda", r, a, f"function:{i.get('name', n)}"),
    },
    "aws:cloudwatch/logGroup:LogGroup": lambda i, n, r, a: {
        "arn": _aws_arn("logs", r, a, f"log-group:{i.get('name', n)}")
    },
    "aws:scheduler/schedule:Schedule": lambda i, n, r, a: {
        "arn": _aws_arn("scheduler", r, a, f"schedule/default/{i.get('name', n)}")
    },
    "alicloud:ram/role:Role": lambda i, n, r, a: {"arn": f"acs:ram::{a}:role/{i.get('roleName', n).lower()}"},
    "alicloud:fc/v3Function:V3Function": lambda i, n, r, a: {
        "functionArn": f"acs:fc:{r}:{a}:functions/{i.get('functionName', n)}"
    },
}


@dataclass
class Registered:
    type: str
    name: str
    inputs: dict[str, Any]
    state: dict[str, Any]
    parent: str | None = None

    def json(self, key: str) -> Any:
        """An input holding a JSON document (policies, trigger configs), decoded."""
        value = self.inputs[key]
        return json.loads(value) if isinstance(value, str) else value


class RecordingMocks(pulumi.runtime.Mocks):
    def __init__(self, cloud: str) -> None:
        self.cloud = cloud
        self.resources: list[Registered] = []
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        region, account = REGION[self.cloud], ACCOUNT[self.cloud]
        state = dict(args.inputs)
        extra = OUTPUTS.get(args.typ)
        if extra:
            state.update(extra(dict(args.inputs), args.name, region, account))
        self.resources.append(Registered(args.typ, args.name, dict(args.inputs), state))
        return f"{args.name}-id", state

    def call(self, args: pulumi.runtime.MockCallArgs) -> dict[str, Any]:
        self.calls.append((args.token, dict(args.args)))
        account = ACCOUNT[self.cloud]
        results: dict[str, dict[str, Any]] = {
            "aws:index/getCallerIdentity:getCallerIdentity": {
                "accountId": account,
                "arn": f"arn:aws:iam::{account}:user/test",
                "id": account,
                "userId": "AIDTEST",
            },
            "alicloud:index/getAccount:getAccount": {"id": account},
        }
        return results.get(args.token) or CALLS.get(args.token, lambda a: {})(dict(args.args))


# Extra invoke results by token, for components that look things up (zones, engine versions...).
CALLS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {}


def _load_area_tables() -> None:
    """Each ``tests/mock_outputs/<area>.py`` may define OUTPUTS and CALLS dicts to merge in."""
    import importlib
    import pkgutil

    import mock_outputs

    for info in pkgutil.iter_modules(mock_outputs.__path__):
        module = importlib.import_module(f"mock_outputs.{info.name}")
        OUTPUTS.update(getattr(module, "OUTPUTS", {}))
        CALLS.update(getattr(module, "CALLS", {}))


_load_area_tables()


@dataclass
class Deployment:
    cloud: str
    resources: list[Registered]
    outputs: Any = None
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def of_type(self, typ: str) -> list[Registered]:
        return [r for r in self.resources if r.type == typ]

    def one(self, typ: str, name: str | None = None) -> Registered:
        found = [r for r in self.of_type(typ) if name is None or r.name == name]
        if len(found) != 1:
            names = [r.name for r in self.of_type(typ)]
            raise AssertionError(f"expected one {typ} named {name!r}; found {names}")
        return found[0]

    def named(self, name: str) -> Registered:
        found = [r for r in self.resources if r.name == name]
        if len(found) != 1:
            raise AssertionError(f"expected one resource named {name!r}; found {len(found)}")
        return found[0]


def resolve(value: Any) -> Any:
    """The plain value of an Output (after the program has run)."""
    if isinstance(value, pulumi.Output):
        return _sync_await(value.future())
    if isinstance(value, Mapping):
        return {k: resolve(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [resolve(v) for v in value]
    return value


def is_secret(value: pulumi.Output[Any]) -> bool:
    return bool(_sync_await(value.is_secret()))


def resources_of(value: pulumi.Output[Any]) -> set[pulumi.Resource]:
    """The resources an Output carries: what a resource taking it as input will depend on."""
    return set(_sync_await(value.resources()))


# The mocks of the latest deploy(), so a test of a failing program can still count what it registered.
last_mocks: RecordingMocks | None = None


def deploy(
    cloud: str,
    program: Callable[[Application], Any],
    config: Mapping[str, Any] | None = None,
    *,
    base: bool = True,
) -> Deployment:
    global last_mocks
    mocks = last_mocks = RecordingMocks(cloud)
    pulumi.runtime.set_mocks(mocks, project=PROJECT, stack=cloud, preview=False)
    merged: dict[str, Any] = dict(BASE_CONFIG[cloud]) if base else {}
    for key, value in (config or {}).items():
        full = key if ":" in key else f"{PROJECT}:{key}"
        if value is None:
            merged.pop(full, None)
        else:
            merged[full] = value if isinstance(value, str) else json.dumps(value)
    pulumi.runtime.set_all_config(merged)
    try:
        # As __main__.py does: the samples setting selects among the registered samples.
        with Application.load(samples=registered()) as app:
            outputs = program(app)
        _sync_await(wait_for_rpcs())
    except BaseException:
        _drain()
        raise
    return Deployment(cloud, mocks.resources, outputs, mocks.calls)


def _quiet_failed_program_futures() -> None:
    """After a deliberately failing program (bad-input tests), Pulumi's per-property Output
    futures are garbage-collected holding our "failed before it was finalized" error; asyncio would
    log each as "never retrieved". Drop exactly those, keep every other report."""
    import asyncio

    from pulumi.runtime.sync_await import _ensure_event_loop

    loop = _ensure_event_loop()

    def handler(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        exc = context.get("exception")
        if "never retrieved" in str(context.get("message", "")) and "before it was finalized" in str(exc):
            return
        loop.default_exception_handler(context)

    loop.set_exception_handler(handler)


_quiet_failed_program_futures()


def _drain() -> None:
    """Let a failed program's pending work finish and forget it, so the next test starts clean
    (the engine would end the process here; tests share one)."""
    from pulumi.runtime.settings import SETTINGS, _get_rpc_manager

    # The program's own exception is what the test sees; this one only finishes its work.
    with contextlib.suppress(BaseException):
        _sync_await(wait_for_rpcs())
    _get_rpc_manager().clear()
    with SETTINGS.lock:
        for task in SETTINGS.outputs:
            if task.done() and not task.cancelled():
                task.exception()  # retrieved: no "never retrieved" noise at garbage collection
        SETTINGS.outputs.clear()
