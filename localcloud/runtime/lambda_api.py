"""Run a packaged function exactly as AWS Lambda's Python runtime does.

A small local implementation of the Lambda Runtime API
(https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html) that drives
the *real* runtime interface client, ``python -m awslambdaric <handler>``, in a
subprocess.  Event decoding, context construction, response marshalling and
error reporting are therefore done by AWS's own code, not by a re-implementation.

One :class:`LambdaRuntime` is one warm execution environment: every ``invoke``
is served by the same process, so module-level state (clients, connection pools,
counters) survives between invocations.  Promoted from tests/harness/lambda_runtime.py.
"""

from __future__ import annotations

import json
import os
import queue
import re
import secrets
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any

from localcloud.runtime.process import (
    STOP_GRACE_S,
    FunctionProcess,
    HarnessError,
    InvocationTimeoutError,
    OutputCapture,
    RuntimeExitedError,
    host_path_env,
    interpreter_version,
    stop_process,
)

if TYPE_CHECKING:
    pass  # 3.11+, only needed by type checkers

__all__ = [
    "ACCOUNT_ID",
    "HarnessError",
    "InvocationTimeoutError",
    "LambdaResult",
    "LambdaRuntime",
    "RuntimeExitedError",
]

#: Default account in the invoked function ARN (an AWS documentation example id).
ACCOUNT_ID = "123456789012"

_API_PREFIX = "/2018-06-01"
_NEXT_PATH = f"{_API_PREFIX}/runtime/invocation/next"
_INIT_ERROR_PATH = f"{_API_PREFIX}/runtime/init/error"
_RESULT_PATH = re.compile(rf"^{re.escape(_API_PREFIX)}/runtime/invocation/(?P<id>[^/]+)/(?P<kind>response|error)$")
_ERROR_TYPE_HEADER = "Lambda-Runtime-Function-Error-Type"

# How often blocked waits wake up to notice a dead process or a shutdown.
_POLL_S = 0.05
_STOP_GRACE_S = STOP_GRACE_S


# --------------------------------------------------------------------------
# Runtime API server
# --------------------------------------------------------------------------


@dataclass
class _Invocation:
    """One event travelling through the Runtime API."""

    request_id: str
    body: bytes
    headers: dict[str, str]
    done: threading.Event = field(default_factory=threading.Event)
    ok: bool = False
    raw: bytes = b""
    content_type: str = ""
    error_type: str | None = None


@dataclass
class _ApiState:
    """State shared between the request-handler threads and the harness."""

    pending: queue.Queue[_Invocation] = field(default_factory=queue.Queue)
    inflight: dict[str, _Invocation] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    closing: threading.Event = field(default_factory=threading.Event)
    init_error: dict[str, Any] | None = None


class _RuntimeApiServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, state: _ApiState) -> None:
        super().__init__(("127.0.0.1", 0), _RuntimeApiHandler)
        self.state = state

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A runtime killed mid-request resets its connection; that is reported as the exit."""


class _RuntimeApiHandler(BaseHTTPRequestHandler):
    """Serves the four Runtime API routes the Python runtime client uses."""

    # HTTP/1.1 keep-alive, as the real API; every response sets Content-Length.
    protocol_version = "HTTP/1.1"
    server: _RuntimeApiServer

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in separate writes; without TCP_NODELAY, Nagle's algorithm and
        # the client's delayed ACK add ~40 ms to every response.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, *args: Any) -> None:
        """Silence per-request logging; the function's own output is what matters."""

    # -- helpers ---------------------------------------------------------

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            return self._read_chunked()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _read_chunked(self) -> bytes:
        parts: list[bytes] = []
        while True:
            size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
            if size == 0:
                # Skip optional trailers up to the terminating blank line.
                while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass
                return b"".join(parts)
            parts.append(self.rfile.read(size))
            self.rfile.readline()  # CRLF after each chunk

    def _reply(
        self,
        status: HTTPStatus,
        body: bytes,
        headers: Mapping[str, str] | None = None,
        content_type: str = "application/json",
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def _reply_json(self, status: HTTPStatus, payload: Mapping[str, Any]) -> None:
        self._reply(status, json.dumps(payload).encode())

    # -- routes ----------------------------------------------------------

    def do_GET(self) -> None:
        if self.path != _NEXT_PATH:
            self._reply_json(HTTPStatus.NOT_FOUND, {"errorType": "NotFound"})
            return
        state = self.server.state
        # Long-poll like the real API, but wake up regularly to honour shutdown.
        while True:
            try:
                inv = state.pending.get(timeout=_POLL_S * 4)
                break
            except queue.Empty:
                if state.closing.is_set():
                    self.close_connection = True
                    return
        with state.lock:
            state.inflight[inv.request_id] = inv
        self._reply(HTTPStatus.OK, inv.body, inv.headers)

    def do_POST(self) -> None:
        body = self._read_body()
        state = self.server.state
        if self.path == _INIT_ERROR_PATH:
            state.init_error = _decode_error(body, self.headers.get(_ERROR_TYPE_HEADER))
            self._reply_json(HTTPStatus.ACCEPTED, {"status": "OK"})
            return
        match = _RESULT_PATH.match(self.path)
        if match is None:
            self._reply_json(HTTPStatus.NOT_FOUND, {"errorType": "NotFound"})
            return
        with state.lock:
            inv = state.inflight.pop(match["id"], None)
        if inv is None:
            self._reply_json(
                HTTPStatus.BAD_REQUEST,
                {"errorMessage": "unknown request id", "errorType": "InvalidRequestID"},
            )
            return
        inv.ok = match["kind"] == "response"
        inv.raw = body
        inv.content_type = self.headers.get("Content-Type", "")
        inv.error_type = self.headers.get(_ERROR_TYPE_HEADER)
        self._reply_json(HTTPStatus.ACCEPTED, {"status": "OK"})
        inv.done.set()


def _decode_error(body: bytes, error_type: str | None) -> dict[str, Any]:
    """Error documents are JSON; keep something readable if one is not."""
    try:
        doc = json.loads(body)
    except ValueError:
        doc = None
    if not isinstance(doc, dict):
        doc = {"errorMessage": body.decode("utf-8", errors="replace")}
    if error_type and "errorType" not in doc:
        doc["errorType"] = error_type
    return doc


# --------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------


@dataclass
class LambdaResult:
    """Outcome of one invocation, as the Lambda ``Invoke`` API would report it.

    ``payload`` is the JSON-decoded body (for errors: the error document, like
    the ``Invoke`` API's payload); a body that is not JSON (a handler returning
    ``bytes``) is left as ``bytes``.  ``error`` is set only when ``ok`` is false.
    """

    request_id: str
    ok: bool
    payload: Any
    error: dict[str, Any] | None
    raw: bytes
    content_type: str = ""


class LambdaRuntime(FunctionProcess):
    """A warm Lambda execution environment running ``handler`` from ``code_dir``.

    ``code_dir`` is an unpacked deployment package (it plays ``/var/task``).
    ``timeout_s`` is the function's configured timeout: it sets the deadline
    the context reports, and exceeding it destroys the environment, as Lambda
    does.  ``env`` is applied last, so it can override any default variable.
    """

    def __init__(
        self,
        code_dir: Path,
        handler: str,
        *,
        env: Mapping[str, str] | None = None,
        function_name: str = "fn",
        memory_mb: int = 128,
        timeout_s: float = 30.0,
        region: str = "us-east-1",
        python: str = sys.executable,
        account_id: str = ACCOUNT_ID,
        support_path: Path | None = None,
        on_line: Callable[[str], None] | None = None,
    ) -> None:
        self.code_dir = Path(code_dir).resolve()
        self.handler = handler
        self.function_name = function_name
        self.memory_mb = memory_mb
        self.timeout_s = timeout_s
        self.region = region
        self.python = python
        # Where the runtime's own packages live (awslambdaric, boto3), like /var/runtime on Lambda:
        # after the deployment package on the path, so a packaged copy wins.
        self.support_path = support_path
        self.on_line = on_line
        self.function_arn = f"arn:aws:lambda:{region}:{account_id}:function:{function_name}"
        self._extra_env = dict(env or {})
        self._state = _ApiState()
        self._server: _RuntimeApiServer | None = None
        self._server_thread: threading.Thread | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._output: OutputCapture | None = None
        self._invoke_lock = threading.Lock()

    # -- lifecycle ---------------------------------------------------------

    def _start(self) -> None:
        if not self.code_dir.is_dir():
            raise HarnessError(f"code directory does not exist: {self.code_dir}")
        self._server = _RuntimeApiServer(self._state)
        self._server_thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": _POLL_S},
            name="lambda-runtime-api",
            daemon=True,
        )
        self._server_thread.start()
        host, port = self._server.server_address[:2]
        self._proc = subprocess.Popen(
            [self.python, "-m", "awslambdaric", self.handler],
            cwd=self.code_dir,
            env=self._environment(f"{host}:{port}"),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        assert self._proc.stdout is not None
        self._output = OutputCapture(self._proc.stdout, self.on_line)

    def _environment(self, api_address: str) -> dict[str, str]:
        """Variables Lambda sets for a Python function, plus the caller's.

        See https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html
        """
        stream = time.strftime("%Y/%m/%d", time.gmtime()) + f"/[$LATEST]{uuid.uuid4().hex}"
        env = host_path_env()
        env.update(
            {
                "AWS_LAMBDA_RUNTIME_API": api_address,
                "_HANDLER": self.handler,
                "LAMBDA_TASK_ROOT": str(self.code_dir),
                # The deployment package is importable first, like /var/task.
                "PYTHONPATH": os.pathsep.join(
                    [str(self.code_dir)] + ([str(self.support_path)] if self.support_path else [])
                ),
                "AWS_EXECUTION_ENV": f"AWS_Lambda_python{interpreter_version(self.python)}",
                "AWS_LAMBDA_FUNCTION_NAME": self.function_name,
                "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(self.memory_mb),
                "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
                "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
                "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{self.function_name}",
                "AWS_LAMBDA_LOG_STREAM_NAME": stream,
                "AWS_REGION": self.region,
                "AWS_DEFAULT_REGION": self.region,
                # Lambda always injects role credentials; fake ones keep SDKs
                # from probing instance metadata (slow) when tests set none.
                "AWS_ACCESS_KEY_ID": "AKIDLAMBDAHARNESS",
                "AWS_SECRET_ACCESS_KEY": "lambda-harness-secret",
                "AWS_SESSION_TOKEN": "lambda-harness-token",
                "LANG": "en_US.UTF-8",
                "TZ": ":UTC",
                # /var/task is read-only on Lambda: never write __pycache__.
                "PYTHONDONTWRITEBYTECODE": "1",
            }
        )
        env.update(self._extra_env)
        return env

    def close(self) -> None:
        """Stop the process and the API server; safe to call repeatedly."""
        self._state.closing.set()
        if self._proc is not None:
            stop_process(self._proc)
        if self._output is not None:
            self._output.drain()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._server_thread is not None:
            self._server_thread.join(_STOP_GRACE_S)
            self._server_thread = None

    # -- invocation --------------------------------------------------------

    @property
    def init_error(self) -> dict[str, Any] | None:
        """What the runtime posted to ``/runtime/init/error``, if anything."""
        return self._state.init_error

    def invoke(
        self,
        event: Any,
        *,
        timeout: float = 30.0,
        client_context: Mapping[str, Any] | None = None,
        cognito_identity: Mapping[str, Any] | None = None,
        request_id: str | None = None,
    ) -> LambdaResult:
        """Deliver ``event`` and wait for the function's response or error.

        ``event`` is JSON-serialised; ``bytes`` are sent verbatim (an already
        serialised payload).  Raises :class:`RuntimeExitedError` if the process
        is or becomes dead, :class:`InvocationTimeoutError` if no result comes
        within ``timeout`` or the function exceeds its configured timeout.
        """
        with self._invoke_lock:
            proc = self._require_running()
            body = event if isinstance(event, bytes) else json.dumps(event).encode()
            inv = self._new_invocation(body, client_context, cognito_identity, request_id)
            self._state.pending.put(inv)
            self._wait(inv, proc, timeout)
            return _to_result(inv)

    def _require_running(self) -> subprocess.Popen[bytes]:
        if self._proc is None or self._server is None:
            raise HarnessError("LambdaRuntime is not started; use it as a context manager")
        if self._proc.poll() is not None:
            raise self._exited_error()
        return self._proc

    def _new_invocation(
        self,
        body: bytes,
        client_context: Mapping[str, Any] | None,
        cognito_identity: Mapping[str, Any] | None,
        request_id: str | None = None,
    ) -> _Invocation:
        request_id = request_id or new_request_id()
        deadline_ms = int((time.time() + self.timeout_s) * 1000)
        headers = {
            "Lambda-Runtime-Aws-Request-Id": request_id,
            "Lambda-Runtime-Deadline-Ms": str(deadline_ms),
            "Lambda-Runtime-Invoked-Function-Arn": self.function_arn,
            "Lambda-Runtime-Trace-Id": _trace_id(),
        }
        if client_context is not None:
            headers["Lambda-Runtime-Client-Context"] = json.dumps(client_context)
        if cognito_identity is not None:
            headers["Lambda-Runtime-Cognito-Identity"] = json.dumps(cognito_identity)
        return _Invocation(request_id=request_id, body=body, headers=headers)

    def _wait(self, inv: _Invocation, proc: subprocess.Popen[bytes], timeout: float) -> None:
        started = time.monotonic()
        limit = min(timeout, self.timeout_s)
        while not inv.done.wait(_POLL_S):
            if proc.poll() is not None:
                # A result may have landed just before the exit.
                if inv.done.is_set():
                    return
                self._forget(inv)
                raise self._exited_error(f"while handling request {inv.request_id}")
            if time.monotonic() - started > limit:
                self._forget(inv)
                stop_process(proc)
                reason = (
                    f"function exceeded its configured timeout of {self.timeout_s:g}s"
                    if limit == self.timeout_s
                    else f"no result within {timeout:g}s"
                )
                raise InvocationTimeoutError(
                    f"Lambda request {inv.request_id}: {reason}; environment destroyed",
                    logs=self._output.drain() if self._output else "",
                )

    def _forget(self, inv: _Invocation) -> None:
        """Drop an invocation that will never complete, wherever it is."""
        with self._state.lock:
            self._state.inflight.pop(inv.request_id, None)
        remaining = []
        while True:
            try:
                item = self._state.pending.get_nowait()
            except queue.Empty:
                break
            if item is not inv:
                remaining.append(item)
        for item in remaining:
            self._state.pending.put(item)

    def _exited_error(self, when: str = "") -> RuntimeExitedError:
        assert self._proc is not None
        logs = self._output.drain() if self._output is not None else ""
        if self._state.init_error is not None:
            what = "the Lambda runtime failed to initialise (Init phase) and exited"
        else:
            what = "the Lambda runtime process exited"
            if when:
                what += f" {when}"
        return RuntimeExitedError(
            f"{what} (exit code {self._proc.returncode}, handler {self.handler!r})",
            logs=logs,
            returncode=self._proc.returncode,
            init_error=self._state.init_error,
        )


def new_request_id() -> str:
    """Lambda request ids are UUIDs."""
    return str(uuid.uuid4())


def _trace_id() -> str:
    """An X-Ray trace header of the shape Lambda passes (not sampled)."""
    root = f"1-{int(time.time()):08x}-{secrets.token_hex(12)}"
    return f"Root={root};Parent={secrets.token_hex(8)};Sampled=0"


def _to_result(inv: _Invocation) -> LambdaResult:
    if not inv.ok:
        error = _decode_error(inv.raw, inv.error_type)
        return LambdaResult(inv.request_id, False, error, error, inv.raw, inv.content_type)
    try:
        payload: Any = json.loads(inv.raw)
    except ValueError:
        payload = inv.raw
    return LambdaResult(inv.request_id, True, payload, None, inv.raw, inv.content_type)
