"""Runs the Pulumi program under Pulumi's mock engine and records every resource and invoke.

This is the engine both the local cloud and the mock tests use (``tests/pulumi_harness.py``
re-exports it). Two entry points:

- :func:`evaluate` runs the REAL program, ``<project_dir>/__main__.py`` (via ``runpy``), for one
  cloud with the stack's config (``Pulumi.<cloud>.yaml``) plus overrides, and returns an
  :class:`Evaluation`: the recorded resource graph with every input resolved (secrets revealed)
  and the function artifacts the program built.
- :func:`deploy` runs a test's own program body inside ``Application.load()``, as ``__main__.py``
  does, and returns a :class:`Deployment` to query.

Resource outputs a provider would compute (ARNs, URLs, endpoints) come from
``localcloud/mocks/<area>.py``; the account and region are fixed placeholders (``ACCOUNT``,
``REGION``) unless the stack config names another region.
"""

from __future__ import annotations

import contextlib
import json
import runpy
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
from pulumi.runtime.stack import wait_for_rpcs
from pulumi.runtime.sync_await import _sync_await

PROJECT = "multicloud"
# Pulumi's wire markers (pulumi.runtime.rpc): the key of a special value, and its secret signature.
SIG_KEY = "4dabf18193072939515e22adb298388d"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
PROJECT_DIR = Path(__file__).resolve().parent.parent
ACCOUNT = {"aws": "123456789012", "ali": "5939306421830868"}
REGION = {"aws": "us-east-1", "ali": "cn-hangzhou"}
REGION_KEY = {"aws": "aws:region", "ali": "alicloud:region"}
BASE_CONFIG = {
    "aws": {f"{PROJECT}:cloud": "aws", "aws:region": REGION["aws"]},
    "ali": {f"{PROJECT}:cloud": "ali", "alicloud:region": REGION["ali"]},
}


def _aws_arn(service: str, region: str, account: str, resource: str) -> str:
    return f"arn:aws:{service}:{region}:{account}:{resource}"


# Outputs a provider computes, per resource type: f(inputs, name, region, account) -> extra state.
# Areas add theirs in localcloud/mocks/<area>.py (merged below); tests may extend it too.
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

# Extra invoke results by token, for components that look things up (zones, engine versions...).
CALLS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {}


def merge_area_tables(package: str) -> None:
    """Merge the OUTPUTS and CALLS of every module of ``package`` into the tables above."""
    import importlib
    import pkgutil

    root = importlib.import_module(package)
    for info in pkgutil.iter_modules(root.__path__):
        module = importlib.import_module(f"{package}.{info.name}")
        OUTPUTS.update(getattr(module, "OUTPUTS", {}))
        CALLS.update(getattr(module, "CALLS", {}))


merge_area_tables("localcloud.mocks")


@dataclass
class Registered:
    type: str
    name: str
    inputs: dict[str, Any]
    state: dict[str, Any]
    parent: str | None = None
    id: str = ""  # the id the mock engine gave it: what other resources' inputs reference

    def json(self, key: str) -> Any:
        """An input holding a JSON document (policies, trigger configs), decoded."""
        value = self.inputs[key]
        return json.loads(value) if isinstance(value, str) else value


class RecordingMocks(pulumi.runtime.Mocks):
    def __init__(self, cloud: str, region: str | None = None) -> None:
        self.cloud = cloud
        self.region = region or REGION[cloud]
        self.resources: list[Registered] = []
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        account = ACCOUNT[self.cloud]
        state = dict(args.inputs)
        extra = OUTPUTS.get(args.typ)
        if extra:
            state.update(extra(dict(args.inputs), args.name, self.region, account))
        ident = f"{args.name}-id"
        self.resources.append(Registered(args.typ, args.name, dict(args.inputs), state, id=ident))
        return ident, state

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


def _full_config(cloud: str, config: Mapping[str, Any] | None, base: Mapping[str, str]) -> dict[str, str]:
    merged: dict[str, str] = dict(base)
    for key, value in (config or {}).items():
        full = key if ":" in key else f"{PROJECT}:{key}"
        if value is None:
            merged.pop(full, None)
        else:
            merged[full] = value if isinstance(value, str) else json.dumps(value)
    return merged


# The mocks of the latest run, so a test of a failing program can still count what it registered.
last_mocks: RecordingMocks | None = None


def run(
    cloud: str,
    body: Callable[[], Any],
    config: Mapping[str, str],
    *,
    secret_keys: list[str] | None = None,
) -> Deployment:
    """Run ``body()`` (which declares resources) under recording mocks with exactly ``config``."""
    with _engine(cloud, config, secret_keys) as mocks:
        outputs = body()
        _sync_await(wait_for_rpcs())
    return Deployment(cloud, mocks.resources, outputs, mocks.calls)


@contextlib.contextmanager
def _engine(cloud: str, config: Mapping[str, str], secret_keys: list[str] | None = None) -> Iterator[RecordingMocks]:
    """Fresh recording mocks with exactly ``config``; a program failing inside is drained.

    A context manager rather than a function calling the program: every frame between the
    program and this entry is one more frame Pulumi walks (``traceback.extract_stack``) for each
    resource it registers, and the ``with`` body runs in the caller's frame.
    """
    global last_mocks
    mocks = last_mocks = RecordingMocks(cloud, config.get(REGION_KEY[cloud]))
    pulumi.runtime.set_mocks(mocks, project=PROJECT, stack=cloud, preview=False)
    pulumi.runtime.set_all_config(dict(config), secret_keys)
    try:
        yield mocks
    except BaseException:
        _drain()
        raise


def deploy(
    cloud: str,
    program: Callable[[Any], Any],
    config: Mapping[str, Any] | None = None,
    *,
    base: bool = True,
    samples: Iterable[str] = (),
) -> Deployment:
    """Run ``program(app)`` inside ``Application.load(samples)``, as ``__main__.py`` does (mock tests).

    ``samples``: the names the application registered, among which the ``samples`` setting selects.
    """
    from components.app import Application

    with _engine(cloud, _full_config(cloud, config, BASE_CONFIG[cloud] if base else {})) as mocks:
        with Application.load(samples=samples) as app:
            outputs = program(app)
        _sync_await(wait_for_rpcs())
    return Deployment(cloud, mocks.resources, outputs, mocks.calls)


# -- the real program ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Built:
    """One artifact ``components.packaging.build`` produced while the program ran."""

    code_dir: Path
    path: Path
    sha256_hex: str
    sha256_b64: str


@dataclass
class Evaluation:
    """The real program's resource graph for one cloud, inputs resolved."""

    cloud: str
    region: str
    account: str
    project_dir: Path
    config: dict[str, str]
    deployment: Deployment
    artifacts: dict[str, Built]  # by sha256 hex

    @property
    def resources(self) -> list[Registered]:
        return self.deployment.resources


def stack_config(cloud: str, project_dir: Path) -> dict[str, str]:
    """The plain values of ``Pulumi.<cloud>.yaml`` (secure values cannot be read offline: skipped)."""
    import yaml

    path = project_dir / f"Pulumi.{cloud}.yaml"
    if not path.is_file():
        return dict(BASE_CONFIG[cloud])
    data = yaml.safe_load(path.read_text()) or {}
    out: dict[str, str] = {}
    for key, value in (data.get("config") or {}).items():
        if isinstance(value, dict) and "secure" in value:
            continue
        out[key] = value if isinstance(value, str) else json.dumps(value)
    return out


def evaluate(
    cloud: str,
    *,
    project_dir: Path | None = None,
    config: Mapping[str, Any] | None = None,
    samples: list[str] | None = None,
) -> Evaluation:
    """Run ``<project_dir>/__main__.py`` for ``cloud`` under the mocks and return its graph.

    Config: ``Pulumi.<cloud>.yaml``, then ``config`` (keys without a namespace are the
    project's), then ``samples``. ``dbPassword`` is a secret a deploy reads from encrypted
    config, never required: unset, the program generates the password as a fresh stack does.
    """
    if cloud not in ACCOUNT:
        raise ValueError(f"unknown cloud {cloud!r}; known: {sorted(ACCOUNT)}")
    project_dir = (project_dir or PROJECT_DIR).resolve()
    main = project_dir / "__main__.py"
    if not main.is_file():
        raise FileNotFoundError(f"no program at {main}")
    overrides: dict[str, Any] = dict(config or {})
    if samples is not None:
        overrides["samples"] = list(samples)
    full = _full_config(cloud, overrides, stack_config(cloud, project_dir))
    full.setdefault(f"{PROJECT}:cloud", cloud)
    if full[f"{PROJECT}:cloud"] != cloud:
        raise ValueError(f"config {PROJECT}:cloud is {full[f'{PROJECT}:cloud']!r}, not {cloud!r}")
    # Unset, the program generates the database password itself (RandomPassword on Alibaba Cloud,
    # the mock provider's result here; RDS-managed on AWS), exactly as a fresh stack does.
    secret_keys = [f"{PROJECT}:dbPassword"]

    if str(project_dir) not in sys.path:
        sys.path.insert(0, str(project_dir))
    from components import packaging

    built: dict[str, Built] = {}
    original = packaging.build

    def recording_build(source: Path, *args: Any, **kwargs: Any) -> Any:
        artifact = original(source, *args, **kwargs)
        built[artifact.sha256_hex] = Built(Path(source), artifact.path, artifact.sha256_hex, artifact.sha256_b64)
        return artifact

    packaging.build = recording_build  # type: ignore[assignment]
    try:
        deployment = run(cloud, lambda: runpy.run_path(str(main), run_name="__main__"), full, secret_keys=secret_keys)
    finally:
        packaging.build = original  # type: ignore[assignment]
    region = full.get(REGION_KEY[cloud]) or REGION[cloud]
    return Evaluation(cloud, region, ACCOUNT[cloud], project_dir, full, deployment, built)


def _quiet_failed_program_futures() -> None:
    """After a deliberately failing program (bad input), Pulumi's per-property Output futures
    are garbage-collected holding our "failed before it was finalized" error; asyncio would log
    each as "never retrieved". Drop exactly those, keep every other report."""
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
    """Let a failed program's pending work finish and forget it, so the next run starts clean
    (the engine would end the process here; runs share one)."""
    from pulumi.runtime.settings import SETTINGS, _get_rpc_manager

    # The program's own exception is what the caller sees; this one only finishes its work.
    with contextlib.suppress(BaseException):
        _sync_await(wait_for_rpcs())
    _get_rpc_manager().clear()
    with SETTINGS.lock:
        for task in SETTINGS.outputs:
            if task.done() and not task.cancelled():
                task.exception()  # retrieved: no "never retrieved" noise at garbage collection
        SETTINGS.outputs.clear()
