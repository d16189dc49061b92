"""Process plumbing shared by the Lambda and FC runners: errors, output capture, shutdown.

Promoted from tests/harness/lambda_runtime.py (tests/harness re-exports it).
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    from typing import Self  # 3.11+, only needed by type checkers

__all__ = [
    "FunctionProcess",
    "HarnessError",
    "InvocationTimeoutError",
    "OutputCapture",
    "RuntimeExitedError",
    "host_path_env",
    "interpreter_version",
    "stop_process",
]

# Grace period for a process to exit after SIGTERM before it is killed.
STOP_GRACE_S = 2.0


class HarnessError(RuntimeError):
    """Base class for failures of the emulated platform (not of the function)."""

    def __init__(self, message: str, *, logs: str = "") -> None:
        self.logs = logs
        text = message
        if logs:
            text += "\n--- captured function output ---\n" + logs.rstrip()
        super().__init__(text)


class RuntimeExitedError(HarnessError):
    """The function's process died (import failure, ``sys.exit``, crash, kill...)."""

    def __init__(
        self,
        message: str,
        *,
        logs: str = "",
        returncode: int | None = None,
        init_error: dict[str, Any] | None = None,
    ) -> None:
        self.returncode = returncode
        self.init_error = init_error
        if init_error is not None:
            message += f"\ninit error reported by the runtime: {json.dumps(init_error)}"
        super().__init__(message, logs=logs)


class InvocationTimeoutError(HarnessError, TimeoutError):
    """No result arrived in time; the execution environment has been destroyed."""


class OutputCapture:
    """Collects a child's merged stdout/stderr on a background thread.

    Reading continuously matters: an unread pipe fills up and would block the
    function on its next ``print``. ``on_line`` (optional) receives each complete
    line as it arrives, which is how the local cloud streams function logs.
    """

    def __init__(self, stream: IO[bytes], on_line: Callable[[str], None] | None = None) -> None:
        self._stream = stream
        self._chunks: list[bytes] = []
        self._lock = threading.Lock()
        self._on_line = on_line
        self._partial = b""
        self._thread = threading.Thread(target=self._pump, name="runtime-output", daemon=True)
        self._thread.start()

    def _pump(self) -> None:
        fd = self._stream.fileno()
        while chunk := os.read(fd, 65536):
            with self._lock:
                self._chunks.append(chunk)
            if self._on_line is not None:
                self._emit(chunk)
        if self._on_line is not None and self._partial:
            self._emit_line(self._partial)

    def _emit(self, chunk: bytes) -> None:
        data = self._partial + chunk
        *lines, self._partial = data.split(b"\n")
        for line in lines:
            self._emit_line(line)

    def _emit_line(self, line: bytes) -> None:
        assert self._on_line is not None
        # A broken log sink must never stall the function's pipe.
        with contextlib.suppress(Exception):
            self._on_line(line.decode("utf-8", errors="replace").rstrip("\r"))

    def settled_text(self, quiet_s: float = 0.2, max_s: float = 3.0) -> str:
        """Everything captured once the child has been quiet for ``quiet_s``.

        The pipe is read on a thread, so log lines written just before a result was posted can
        land a moment after it; callers reading logs right after an invocation need them.
        """
        deadline = time.monotonic() + max_s
        text = self.text()
        while time.monotonic() < deadline:
            time.sleep(quiet_s)
            newer = self.text()
            if newer == text and newer:
                break
            text = newer
        return text

    def text(self) -> str:
        """Everything captured so far, decoded leniently."""
        with self._lock:
            data = b"".join(self._chunks)
        return data.decode("utf-8", errors="replace")

    def drain(self, timeout: float = 2.0) -> str:
        """Wait for the pipe to close (process gone), then return the text."""
        self._thread.join(timeout)
        return self.text()


def stop_process(proc: subprocess.Popen[bytes]) -> None:
    """Terminate ``proc`` politely, then forcibly; never raises if already gone."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(STOP_GRACE_S)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(STOP_GRACE_S)


def host_path_env() -> dict[str, str]:
    """The minimal host variables a child needs; nothing else leaks in."""
    return {"PATH": os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin")}


_VERSIONS: dict[str, str] = {}


def interpreter_version(python: str) -> str:
    """``"3.11"``-style version of ``python`` (cheap for the current one, memoised for others)."""
    if python == sys.executable:
        return f"{sys.version_info.major}.{sys.version_info.minor}"
    if python not in _VERSIONS:
        out = subprocess.run(
            [python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True,
            text=True,
            check=True,
            timeout=30,
        )
        _VERSIONS[python] = out.stdout.strip()
    return _VERSIONS[python]


class FunctionProcess:
    """What the Lambda and FC runners share: one function instance in a child process, started as
    a context manager, with its captured output. Subclasses set ``_proc``/``_output`` in
    ``_start`` and release everything in ``close``."""

    _proc: subprocess.Popen[bytes] | None = None
    _output: OutputCapture | None = None

    def _start(self) -> None:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        try:
            self._start()
        except BaseException:
            self.close()  # a half-started instance leaves no process or thread behind
            raise
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def pid(self) -> int | None:
        """The instance's process id (None before start)."""
        return self._proc.pid if self._proc is not None else None

    def alive(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def logs(self) -> str:
        """The instance's stdout and stderr, once the last invocation's lines have landed."""
        return self._output.settled_text() if self._output is not None else ""
