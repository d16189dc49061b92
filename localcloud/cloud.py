"""``LocalCloud``: the whole application on 127.0.0.1, as AWS or as Alibaba Cloud.

Order of start: the program is evaluated (``topology.load``); the data plane starts
(``Services``: buckets, queues, topics, database, enforced credentials); one warm runner per
function from its deployed artifact; the trigger engine; the HTTP API and web page; the code
watcher. ``stop()`` undoes all of it, removes the temporary directory, and is idempotent.
Nothing listens on or connects to anything but 127.0.0.1.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import re
import shutil
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from localcloud import topology as topology_mod
from localcloud.clock import Clock, parse_duration
from localcloud.runtime.runner import FunctionRunner, LogLine
from localcloud.services import Event, Services
from localcloud.triggers import InvocationRecord, NotFound, TriggerEngine
from localcloud.watch import CodeWatcher

__all__ = ["LocalCloud", "NotFound"]

CLOUDS = ("aws", "ali")
_CLOUD_HOST = re.compile(r"[A-Za-z0-9.-]+\.(?:amazonaws\.com(?:\.cn)?|aliyuncs\.com)")


def _project_root() -> Path:
    return Path(__file__).resolve().parent.parent


class LocalCloud:
    """Run the program's application locally. Use as a context manager, or start()/stop()."""

    def __init__(
        self,
        cloud: str,
        samples: list[str] | None = None,
        project_dir: Path | None = None,
        *,
        api_port: int | None = 0,
        wall_clock: bool = False,
        watch: bool = True,
        echo: Callable[[str], None] | None = print,
        config: dict[str, object] | None = None,
        code_overrides: dict[str, Path] | None = None,
        env_overrides: dict[str, dict[str, str]] | None = None,
        topology: Any = None,
        services_factory: Callable[..., Services] | None = None,
    ) -> None:
        if cloud not in CLOUDS:
            raise ValueError(f"cloud must be one of {', '.join(CLOUDS)}; got {cloud!r}")
        self.cloud = cloud
        self.samples = samples
        self.project_dir = Path(project_dir or _project_root()).resolve()
        self.api_port = api_port
        self.wall_clock = wall_clock
        self.watch = watch
        self.echo = echo
        self.config = config
        # Test doubles: a function (by name or component) built from another code folder, or run
        # with some variables changed; everything else about it stays as deployed.
        self.code_overrides = {k: Path(v) for k, v in (code_overrides or {}).items()}
        self.env_overrides = dict(env_overrides or {})
        # For tests of the local cloud itself: a prepared topology and another data plane.
        self._given_topology = topology
        self._services_factory = services_factory or Services
        self.clock = Clock(wall=wall_clock)
        self.logs: deque[LogLine] = deque(maxlen=20000)
        self.invocations: deque[InvocationRecord] = deque(maxlen=1000)
        self._log_seq = itertools.count(1)
        self._log_lock = threading.Lock()
        self._changed = threading.Condition()
        self.runners: dict[str, FunctionRunner] = {}
        self.services: Services | None = None
        self.triggers: TriggerEngine | None = None
        self.api: Any = None
        self.watcher: CodeWatcher | None = None
        self.workdir: Path | None = None
        self.started_s: float | None = None
        self._stopped = False
        self.warnings: list[str] = []

    # -- lifecycle ---------------------------------------------------------

    def __enter__(self) -> LocalCloud:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _say(self, text: str) -> None:
        if self.echo is not None:
            self.echo(text)

    def _warn(self, text: str) -> None:
        self.warnings.append(text)
        self._say(text)

    def start(self) -> None:
        t0 = time.perf_counter()
        self.timings: dict[str, float] = {}
        self.program_cached = False
        self.topology = self._given_topology or self._load_topology()
        self.workdir = Path(tempfile.mkdtemp(prefix=f"localcloud-{self.cloud}-"))
        self.timings["program"] = time.perf_counter() - t0
        self._check_overrides()
        specs = [self._overridden(spec) for spec in self.topology.functions.values()]
        # While the data plane starts: choose interpreters, install Lambda runtime packages when
        # missing, unpack artifacts. Function processes start once their credentials exist.
        pool = ThreadPoolExecutor(4)
        early = [pool.submit(_prepare_code, spec, self.cloud) for spec in specs]
        self.services = self._services_factory(self.topology, self.workdir / "services", self._on_event)
        try:
            self.services.start()
        finally:
            for future in early:
                future.result()
            pool.shutdown()
        self.timings["services"] = time.perf_counter() - t0 - sum(self.timings.values())
        sqs = None
        if self.cloud == "aws" and "sqs" in self.services.endpoints:
            from localcloud.sqs_ops import MotoBackendSqs, SqsOps

            # Lambda's pollers run inside the service: call moto's backend directly when it runs in
            # this process (it does under Services), over HTTP otherwise.
            names = [q.name for q in self.topology.queues.values()]
            sqs = MotoBackendSqs.attach(self.topology.account, self.topology.region, names) or SqsOps(
                self.services.endpoints["sqs"], self.topology.region, self.services.admin_environment()
            )
        for spec in specs:
            env = self.services.function_environment(spec)
            for key in (spec.name, spec.component):
                env.update(self.env_overrides.get(key, {}))
            env = self._confine(spec.name, env)
            self.runners[spec.name] = FunctionRunner(
                spec,
                self.cloud,
                env,
                workdir=self.workdir / "functions",
                region=self.topology.region,
                account=self.topology.account,
                on_log=self._on_log,
                warn=self._warn,
            )
        # Preparing (maybe installing the Lambda runtime packages) and booting run in parallel.
        with ThreadPoolExecutor(4) as pool:
            list(pool.map(lambda r: r.prepare(), self.runners.values()))
            list(pool.map(lambda r: r.start(), self.runners.values()))
        self.timings["functions"] = time.perf_counter() - t0 - sum(self.timings.values())
        self.triggers = TriggerEngine(
            self.topology,
            self.services,
            self.runners,
            self.clock,
            on_invocation=self._on_invocation,
            log=self._say,
            sqs=sqs,
        )
        self.triggers.start()
        self.clock.start()
        if self.api_port is not None:
            from localcloud.api import ApiServer

            self.api = ApiServer(self, self.api_port)
            self.api.start()
        if self.watch:
            self.watcher = CodeWatcher(self.project_dir, self.cloud, self.runners, self._say)
            self.watcher.start()
        self.started_s = time.perf_counter() - t0
        self._say(self.describe_text())

    def _load_topology(self) -> Any:
        from components.paths import build_cache_dir
        from localcloud import topology_cache

        def evaluate() -> Any:
            return topology_mod.load(self.cloud, samples=self.samples, project_dir=self.project_dir, config=self.config)

        topo, cached = topology_cache.load(
            self.cloud, self.samples, self.config, self.project_dir, evaluate, build_cache_dir() / "localcloud"
        )
        self.program_cached = cached
        return topo

    def _confine(self, function: str, env: dict[str, str]) -> dict[str, str]:
        """Nothing outside 127.0.0.1: a setting still naming a cloud host (one the data plane does not
        serve) is pointed at a name that cannot resolve (RFC 6761 ``.invalid``), with a warning."""
        out = {}
        for key, value in env.items():
            remote = _CLOUD_HOST.search(value)
            if remote and not key.startswith(("AWS_", "ALIBABA_CLOUD_", "FC_")):
                replacement = _CLOUD_HOST.sub("not-served-by-localcloud.invalid", value)
                self._warn(
                    f"localcloud: WARNING function {function}: {key}={value} names {remote.group(0)}, which the "
                    f"local cloud does not serve; set to {replacement} so nothing outside 127.0.0.1 is contacted"
                )
                value = replacement
            out[key] = value
        return out

    def _check_overrides(self) -> None:
        known = {n for f in self.topology.functions.values() for n in (f.name, f.component)}
        for key in list(self.code_overrides) + list(self.env_overrides):
            if key not in known:
                raise NotFound("function", key, [f.name for f in self.topology.functions.values()])

    def _overridden(self, spec: Any) -> Any:
        folder = self.code_overrides.get(spec.name) or self.code_overrides.get(spec.component)
        if folder is None:
            return spec
        import dataclasses

        from components import packaging
        from components.paths import SHARED_LIBRARY_DIR, build_cache_dir

        target = packaging.Target.for_runtime(self.cloud, spec.runtime)
        artifact = packaging.build(folder, SHARED_LIBRARY_DIR, target, build_cache_dir())
        self._say(f"localcloud: {spec.name} runs code from {folder} (override)")
        return dataclasses.replace(spec, artifact=artifact.path)

    def stop(self) -> None:
        """Stop everything this local cloud started and remove its temporary data (idempotent)."""
        if self._stopped:
            return
        self._stopped = True
        for part in (self.watcher, self.api):
            if part is not None:
                part.stop()
        self.clock.stop()
        if self.triggers is not None:
            self.triggers.stop()
        for runner in self.runners.values():
            runner.stop()
        if self.services is not None:
            with contextlib.suppress(NotImplementedError):
                self.services.stop()
        if self.workdir is not None:
            shutil.rmtree(self.workdir, ignore_errors=True)

    # -- event sinks -------------------------------------------------------

    def _on_event(self, event: Event) -> None:
        if self.triggers is not None:
            self.triggers.on_event(event)

    def _on_log(self, function: str, request_id: str, text: str) -> None:
        line = LogLine(next(self._log_seq), time.time(), function, request_id, text)
        with self._log_lock:
            self.logs.append(line)
        self._say(line.render())
        with self._changed:
            self._changed.notify_all()

    def _on_invocation(self, record: InvocationRecord) -> None:
        self.invocations.append(record)
        status = "ok" if record.ok else ("CRASHED" if record.crashed else "ERROR")
        self._say(
            f"[{record.function}] [{record.request_id}] {record.trigger} -> {status} "
            f"in {record.duration_ms:.1f} ms{' (cold)' if record.cold else ''}"
        )
        with self._changed:
            self._changed.notify_all()

    def wait_changed(self, timeout: float) -> None:
        with self._changed:
            self._changed.wait(timeout)

    # -- operations (the API and the pytest fixture use these) -------------

    def _bucket(self, name: str) -> str:
        for key, b in self.topology.buckets.items():
            if name in (key, b.name, b.component):
                return b.name
        raise NotFound("bucket", name, [b.name for b in self.topology.buckets.values()])

    def _queue(self, name: str) -> str:
        for key, q in self.topology.queues.items():
            if name in (key, q.name, q.component):
                return q.name
        raise NotFound("queue", name, [q.name for q in self.topology.queues.values()])

    def _topic(self, name: str) -> str:
        for key, t in self.topology.topics.items():
            if name in (key, t.name, t.component):
                return t.name
        raise NotFound("topic", name, [t.name for t in self.topology.topics.values()])

    def function_name(self, name: str) -> str:
        assert self.triggers is not None
        return self.triggers.function(name).name

    def put_object(self, bucket: str, key: str, body: bytes) -> dict[str, Any]:
        if not key:
            raise ValueError("an object key must not be empty")
        name = self._bucket(bucket)
        assert self.services is not None
        self.services.put_object(name, key, body)
        return {"bucket": name, "key": key, "size": len(body)}

    def get_object(self, bucket: str, key: str) -> bytes:
        assert self.services is not None
        return self.services.get_object(self._bucket(bucket), key)

    def list_objects(self, bucket: str, prefix: str = "") -> list[str]:
        assert self.services is not None
        return self.services.list_objects(self._bucket(bucket), prefix)

    def send_message(self, queue: str, body: str, attributes: dict[str, str] | None = None) -> dict[str, Any]:
        if not isinstance(body, str) or body == "":
            raise ValueError("a message body must be a non-empty string")
        name = self._queue(queue)
        assert self.services is not None
        if self.cloud == "ali" and attributes:  # Services base64-encodes the body, as the MNS SDK does
            raise ValueError("MNS queue messages carry no attributes; put them in the body")
        message_id = self.services.send_message(name, body, attributes)
        return {"queue": name, "message_id": message_id}

    def publish(self, topic: str, body: str, attributes: dict[str, str] | None = None) -> dict[str, Any]:
        if not isinstance(body, str) or body == "":
            raise ValueError("a message body must be a non-empty string")
        name = self._topic(topic)
        assert self.services is not None
        message_id = self.services.publish(name, body, attributes)
        return {"topic": name, "message_id": message_id}

    def invoke(self, function: str, event: Any = None) -> InvocationRecord:
        """Invoke synchronously. AWS: ``event`` is the JSON event; Alibaba: bytes (str/JSON are encoded)."""
        assert self.triggers is not None
        if self.cloud == "ali" and not isinstance(event, bytes):
            event = b"" if event is None else (event.encode() if isinstance(event, str) else json.dumps(event).encode())
        if self.cloud == "aws" and event is None:
            event = {}
        return self.triggers.invoke(function, event)

    def fire(self, schedule: str) -> InvocationRecord:
        assert self.triggers is not None
        return self.triggers.fire(schedule)

    def advance(self, duration: str | float) -> dict[str, Any]:
        seconds = parse_duration(duration)
        ran = self.clock.advance(seconds)
        return {"advanced_s": seconds, "now": self.clock.now().isoformat(), "fired": ran}

    def wait_idle(self, timeout: float = 30.0) -> bool:
        assert self.triggers is not None
        return self.triggers.wait_idle(timeout)

    def dead_letters(self, queue: str, max_messages: int = 10) -> list[dict[str, Any]]:
        """The messages in a dead-letter queue (or any queue), read without consuming them."""
        name = self._queue(queue)
        assert self.services is not None
        if self.triggers is not None and self.triggers._sqs is not None:
            got = self.triggers._sqs.peek(name, max_messages)
            return [
                {
                    "message_id": m["MessageId"],
                    "body": m["Body"],
                    "receive_count": int(m.get("Attributes", {}).get("ApproximateReceiveCount", 0)),
                }
                for m in got
            ]
        from localcloud.shapes import decode_mns_body

        # MNS bodies are base64 as the SDK sends them; shown decoded, as the trigger delivers them.
        msgs = self.services.receive_messages(name, max_messages, 0)
        return [
            {
                "message_id": m.message_id,
                "body": decode_mns_body(m.body),
                "raw_body": m.body,
                "receive_count": m.receive_count,
            }
            for m in msgs
        ]

    def kill(self, function: str) -> None:
        """Kill a function's instance (a crash); the next invocation starts a new one."""
        assert self.triggers is not None
        self.runners[self.triggers.function(function).name].kill()

    # -- description -------------------------------------------------------

    def describe(self) -> dict[str, Any]:
        t = self.topology
        assert self.services is not None
        return {
            "cloud": self.cloud,
            "region": t.region,
            "account": t.account,
            "clock": {"now": self.clock.now().isoformat(), "wall": self.clock.wall},
            "endpoints": dict(self.services.endpoints),
            "api": self.api.url if self.api is not None else None,
            "functions": {
                r.spec.name: {
                    "component": r.spec.component,
                    "code": f"functions/{r.spec.code}",
                    "runtime": r.spec.runtime,
                    "python": r.interpreter.path,
                    "exact_python": r.interpreter.exact,
                    "handler": r.spec.handler,
                    "pid": r.pid,
                    "invocations": r.invocations,
                }
                for r in self.runners.values()
            },
            "buckets": {
                b.name: {"notifications": [n.__dict__ | {"events": list(n.events)} for n in b.notifications]}
                for b in t.buckets.values()
            },
            "queues": {
                q.name: {
                    "dead_letter": q.dead_letter,
                    "max_receive_count": q.max_receive_count,
                    "visibility_timeout_s": q.visibility_timeout_s,
                    "subscriptions": [s.__dict__ for s in q.subscriptions],
                }
                for q in t.queues.values()
            },
            "topics": {x.name: {"subscriptions": list(x.subscriptions), "format": x.format} for x in t.topics.values()},
            "schedules": {
                s.name: {
                    "function": s.function,
                    "expression": s.expression,
                    "timezone": s.timezone,
                    "enabled": s.enabled,
                    "next": (self.triggers.next_fires().get(s.name) if self.triggers else None),
                }
                for s in t.schedules.values()
            },
            "databases": {d.name: {"database": d.database_name, "user": d.user} for d in t.databases.values()},
            "warnings": list(self.warnings),
        }

    def describe_text(self) -> str:
        d = self.describe()
        lines = [f"localcloud: {self.cloud} ({d['region']}, account {d['account']}) up in {self.started_s or 0:.1f} s"]
        for service, url in sorted(d["endpoints"].items()):
            lines.append(f"  {service:<9} {url}" if len(service) <= 9 else f"  {service}  {url}")
        if d["api"]:
            lines.append(f"  api/web   {d['api']}")
        for name, f in sorted(d["functions"].items()):
            exact = "" if f["exact_python"] else "  (FALLBACK interpreter)"
            lines.append(f"  function  {name}  {f['runtime']} {f['handler']}  pid {f['pid']}{exact}")
        for name, b in sorted(d["buckets"].items()):
            notes = ", ".join(f"{n['prefix'] or '*'}{n['suffix']} -> {n['function']}" for n in b["notifications"])
            lines.append(f"  bucket    {name}{'  ' + notes if notes else ''}")
        for name, q in sorted(d["queues"].items()):
            subs = ", ".join(f"-> {s['function']} (batch {s['batch_size']})" for s in q["subscriptions"])
            dlq = f"  dlq {q['dead_letter']} after {q['max_receive_count']}" if q["dead_letter"] else ""
            lines.append(f"  queue     {name}{'  ' + subs if subs else ''}{dlq}")
        for name, x in sorted(d["topics"].items()):
            lines.append(f"  topic     {name}  -> {', '.join(x['subscriptions']) or '(no subscribers)'}")
        for name, s in sorted(d["schedules"].items()):
            lines.append(f"  schedule  {name}  {s['expression']} -> {s['function']}  next {s['next']}")
        for name, db in sorted(d["databases"].items()):
            lines.append(f"  database  {name}  {db['database']} as {db['user']}")
        clock = "wall clock" if self.clock.wall else "virtual clock (advance it: python -m localcloud advance 5m)"
        lines.append(f"  time      {d['clock']['now']}  {clock}")
        return "\n".join(lines)


def _prepare_code(spec: Any, cloud: str) -> None:
    from localcloud.runtime import interpreters

    interp = interpreters.find(spec.runtime)
    if cloud == "aws":
        interpreters.lambda_support(interp)
    FunctionRunner(
        spec, cloud, {}, workdir=Path(tempfile.gettempdir()), region="", account="", warn=lambda s: None
    ).unpack()


def state_file(project_dir: Path) -> Path:
    """Where a running ``up`` records its API address for the other subcommands."""
    return Path(os.environ.get("LOCALCLOUD_STATE") or Path(project_dir) / ".localcloud" / "api.json")
