"""One warm instance per function, run from its deployed artifact under its platform's contract.

``FunctionRunner`` unpacks ``FunctionSpec.artifact`` (the zip the program built for the stack) into a
private directory and keeps one long-lived process for it: ``LambdaRuntime`` (the real
``awslambdaric`` against a local Runtime API) for ``aws``, ``FcRuntime`` (FC 3.0's event-function
contract) for ``ali``.  Concurrency is 1, like a single instance: invocations of one function queue
behind each other; different functions run in parallel.  A process that dies or times out is
replaced on the next invocation (a cold start), as the platform replaces an instance.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import tempfile
import threading
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from localcloud.runtime import fc as fc_runtime
from localcloud.runtime import interpreters, lambda_api
from localcloud.runtime.process import HarnessError, InvocationTimeoutError, RuntimeExitedError
from localcloud.topology import FunctionSpec

__all__ = ["FunctionRunner", "InvokeOutcome", "LogLine"]


@dataclass(frozen=True)
class LogLine:
    seq: int
    time: float
    function: str
    request_id: str
    text: str

    def render(self) -> str:
        return f"[{self.function}] [{self.request_id or '-'}] {self.text}"


@dataclass
class InvokeOutcome:
    """One invocation as the platform's Invoke API reports it.

    ``payload`` is the decoded response (JSON if it parses, else text); on a function error it is
    the error document, also in ``error``.  ``crashed`` means the instance died or timed out (the
    platform's ``Runtime.ExitError`` / ``Sandbox.Timedout``), so nothing the function returned exists."""

    function: str
    request_id: str
    ok: bool
    payload: Any
    error: dict[str, Any] | None
    duration_ms: float
    cold: bool
    crashed: bool = False
    started: float = field(default_factory=time.time)


def _decode(body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        try:
            return body.decode("utf-8")
        except UnicodeDecodeError:
            return body.hex()


class FunctionRunner:
    """A function's warm instance. ``env`` is what Services.function_environment gave it."""

    def __init__(
        self,
        spec: FunctionSpec,
        cloud: str,
        env: dict[str, str],
        *,
        workdir: Path,
        region: str,
        account: str,
        on_log: Callable[[str, str, str], None] | None = None,
        warn: Callable[[str], None] = print,
    ) -> None:
        self.spec = spec
        self.cloud = cloud
        self.env = dict(env)
        self.workdir = Path(workdir)
        self.region = region
        self.account = account
        self.on_log = on_log
        self.warn = warn
        self.artifact = Path(spec.artifact)
        self.interpreter = interpreters.find(spec.runtime)
        self._support: Path | None = None
        self._runtime: lambda_api.LambdaRuntime | fc_runtime.FcRuntime | None = None
        self._lock = threading.RLock()
        self._generation = 0
        self._current_request = ""
        self.invocations = 0
        self.cold_starts = 0

    # -- lifecycle ---------------------------------------------------------

    def prepare(self) -> None:
        """Everything but the process: interpreter check, runtime packages (Lambda)."""
        if self.interpreter.warning:
            self.warn(f"localcloud: WARNING function {self.spec.name}: {self.interpreter.warning}")
        if self.cloud == "aws":
            self._support = interpreters.lambda_support(self.interpreter)

    def start(self) -> None:
        """Start the warm instance now (otherwise the first invocation does: a cold start)."""
        with self._lock:
            if self._runtime is None or not self._runtime.alive():
                self._boot()

    def _unpack(self) -> Path:
        """The artifact unpacked once per content into a shared cache (artifact names carry their
        hash); instances only read it (/var/task and /code are read-only on the platforms too)."""
        if not self.artifact.is_file():
            raise HarnessError(f"function {self.spec.name}: artifact {self.artifact} does not exist")
        st = self.artifact.stat()
        dest = interpreters.cache_root() / "unpacked" / f"{self.artifact.stem}-{st.st_size}-{st.st_mtime_ns}"
        if (dest / ".complete").exists():
            return dest
        dest.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{dest.name}-", dir=dest.parent))
        with zipfile.ZipFile(self.artifact) as zf:
            zf.extractall(staging)
        (staging / ".complete").write_text("ok\n")
        try:
            staging.rename(dest)
        except OSError:  # another process unpacked it first
            shutil.rmtree(staging, ignore_errors=True)
        return dest

    def unpack(self) -> None:
        """Unpack ahead of start (the local cloud does it while the data plane starts)."""
        self._unpack()

    def _boot(self) -> None:
        self._close_runtime()
        code_dir = self._unpack()
        spec = self.spec
        if self.cloud == "aws":
            runtime: Any = lambda_api.LambdaRuntime(
                code_dir,
                spec.handler,
                env=self.env,
                function_name=spec.name,
                memory_mb=spec.memory_mb,
                timeout_s=float(spec.timeout_s),
                region=self.region,
                python=self.interpreter.path,
                account_id=self.account,
                support_path=self._support,
                on_line=self._line,
            )
        else:
            runtime = fc_runtime.FcRuntime(
                code_dir,
                spec.handler,
                runtime=_fc_context_shape(spec.runtime),
                env=self.env,
                function_name=spec.name,
                memory_mb=spec.memory_mb,
                timeout_s=float(spec.timeout_s),
                region=self.region,
                account_id=self.account,
                credentials=(
                    self.env.get("ALIBABA_CLOUD_ACCESS_KEY_ID", ""),
                    self.env.get("ALIBABA_CLOUD_ACCESS_KEY_SECRET", ""),
                    self.env.get("ALIBABA_CLOUD_SECURITY_TOKEN", ""),
                ),
                python=self.interpreter.path,
                on_line=self._line,
            )
        runtime.__enter__()
        self._runtime = runtime
        self._code_dir = code_dir
        self.cold_starts += 1

    def _close_runtime(self) -> None:
        if self._runtime is not None:
            self._runtime.close()
            self._runtime = None

    def reload(self, artifact: Path) -> None:
        """Swap in a rebuilt artifact: the next invocation runs the new code (waits for a running one)."""
        with self._lock:
            self.artifact = Path(artifact)
            self._boot()

    def kill(self) -> None:
        """Kill the instance's process abruptly (a crash, an out-of-memory kill)."""
        runtime = self._runtime
        pid = runtime.pid if runtime is not None else None
        if pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            deadline = time.monotonic() + 5
            while runtime.alive() and time.monotonic() < deadline:  # reaped: the next call sees it dead
                time.sleep(0.01)

    def stop(self) -> None:
        with self._lock:
            self._close_runtime()

    @property
    def pid(self) -> int | None:
        return self._runtime.pid if self._runtime is not None else None

    # -- invocation --------------------------------------------------------

    def _line(self, text: str) -> None:
        if self.on_log is not None:
            self.on_log(self.spec.name, self._current_request, text)

    def new_request_id(self) -> str:
        return lambda_api.new_request_id() if self.cloud == "aws" else fc_runtime.new_request_id()

    def invoke(self, event: Any, *, request_id: str | None = None) -> InvokeOutcome:
        """Invoke synchronously. ``event``: for Lambda any JSON value (bytes are sent verbatim);
        for FC the bytes the trigger delivers (anything else is JSON-encoded first)."""
        request_id = request_id or self.new_request_id()
        with self._lock:
            cold = self._runtime is None or not self._runtime.alive()
            if cold:
                self._boot()
            assert self._runtime is not None
            self._current_request = request_id
            started = time.perf_counter()
            self.invocations += 1
            try:
                if self.cloud == "aws":
                    res = self._runtime.invoke(event, timeout=self.spec.timeout_s + 5, request_id=request_id)
                    ok, payload, error = res.ok, res.payload, res.error
                    if isinstance(payload, bytes):
                        payload = _decode(payload)
                else:
                    body = event if isinstance(event, bytes) else json.dumps(event).encode()
                    res = self._runtime.invoke(body, timeout=self.spec.timeout_s + 5, request_id=request_id)
                    ok, payload, error = res.ok, res.payload, res.error
                    if isinstance(payload, bytes):
                        payload = payload.hex()
            except (RuntimeExitedError, InvocationTimeoutError) as exc:
                kind = "Sandbox.Timedout" if isinstance(exc, InvocationTimeoutError) else "Runtime.ExitError"
                first = str(exc).split("\n--- captured", 1)[0]
                error = {"errorType": kind, "errorMessage": first}
                self._line(f"{kind}: {first}")
                return InvokeOutcome(
                    self.spec.name,
                    request_id,
                    False,
                    error,
                    error,
                    (time.perf_counter() - started) * 1000,
                    cold,
                    crashed=True,
                )
            # _current_request stays set: the output pipe is read on a thread, so an invocation's
            # last lines can arrive after its result, and they belong to it (as in its log stream).
            return InvokeOutcome(
                self.spec.name, request_id, ok, payload, error, (time.perf_counter() - started) * 1000, cold
            )


def _fc_context_shape(runtime: str) -> fc_runtime.FcRuntimeName:
    """FC documents two context shapes: python3.10's and python3.12's (3.12 and later)."""
    try:
        minor = int(runtime.removeprefix("python3."))
    except ValueError:
        return "python3.10"
    return "python3.12" if minor >= 12 else "python3.10"
