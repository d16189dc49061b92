"""Emulate an Alibaba Cloud Function Compute 3.0 Python *event* function.

No FC emulator is available, so this reproduces what FC documents for its
built-in Python runtimes and runs the handler in a warm subprocess, the way
``lambda_runtime`` does for Lambda.  Facts modelled, with their sources:

* Handler ``file.function`` at the code root, called as ``handler(event,
  context)`` with ``event`` as ``bytes``:
  https://www.alibabacloud.com/help/doc-detail/158690.htm and
  https://alibabacloud.com/help/en/functioncompute/latest/event-handlers
  (Python 3: "the value of this parameter is in the BYTES type").
* Context attributes per runtime (python3.10 has ``credentials`` and
  ``service``; python3.12 drops both, moves ``log_project``/``log_store`` to the
  top level and adds ``version_id``/``qualifier`` to ``function`` plus
  ``logger``):
  https://help.aliyun.com/zh/functioncompute/fc/user-guide/context-1 and
  https://help.aliyun.com/en/functioncompute/fc/context-1 ("Runtime differences").
* System environment variables (``FC_*``, ``ALIBABA_CLOUD_*`` credentials,
  ``FC_VER_ID`` on Debian 10 runtimes vs ``FC_FUNCTION_VERSION`` on Debian 11+):
  https://www.alibabacloud.com/help/en/functioncompute/fc/environment-variables
  (the FC_VER_ID / FC_FUNCTION_VERSION split is in the current revision, e.g.
  https://www.alibabacloud.com/help/ja/functioncompute/fc/environment-variables);
  python3.10 runs on Debian 10 and python3.12 on Debian 11:
  https://www.alibabacloud.com/help/id/functioncompute/fc-3-0/user-guide/runtime-overview-3
* Unhandled exceptions become ``{"errorMessage", "errorType", "stackTrace"}``
  with ``X-Fc-Error-Type: UnhandledInvocationError``; ``stackTrace`` entries are
  ``['File "<path>"', 'line N', 'in <func>', '<source line>']``:
  https://www.alibabacloud.com/help/en/functioncompute/fc/error-handling-1-1
* ``logging`` output is ``<UTC time> <request id> [LEVEL] message`` and
  ``context.getLogger()`` exists:
  https://www.alibabacloud.com/help/en/functioncompute/fc/logging-2

Not in the docs; modelled on the public source of FC's earlier Python runtime
(``fc_rapis_*`` modules), so unconfirmed for python3.12: ``str``/``bytes``
return values are sent verbatim (``str`` as UTF-8), anything else is
``json.dumps(..., indent=4, sort_keys=True)`` with ``Decimal`` -> float, dates ->
ISO 8601 and objects with ``to_json()`` supported (a value that cannot be
serialised is an error result); handler loading errors are reported per invocation as
``ImportModuleError`` / ``UserCodeSyntaxError`` / ``HandlerNotFound`` /
``UserCodeError`` error results; the ``FC Invoke Start/End RequestId:`` log lines.

Promoted from tests/harness/fc_runtime.py (which re-exports it).

The same file is the child's program: the parent runs it with ``runpy`` under
the name ``__fc_worker__``, so at module level it imports only the standard
library, and parent-only helpers are imported only when loaded as a package.
"""

from __future__ import annotations

import contextlib
import datetime
import decimal
import importlib
import json
import logging
import math
import os
import queue
import secrets
import struct
import subprocess
import sys
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    pass  # 3.11+, only needed by type checkers

if __package__:  # the parent side; the worker runs this file outside any package
    from localcloud.runtime.process import (
        FunctionProcess,
        HarnessError,
        InvocationTimeoutError,
        OutputCapture,
        RuntimeExitedError,
        host_path_env,
        stop_process,
    )
else:  # the worker never builds an FcRuntime; the class only needs a base to be defined
    FunctionProcess = object

__all__ = ["FcResult", "FcRuntime", "FcRuntimeName"]

FcRuntimeName = Literal["python3.10", "python3.12"]

_WORKER_RUN_NAME = "__fc_worker__"
_WORKER_BOOTSTRAP = "import runpy, sys; runpy.run_path(sys.argv[1], run_name=" + repr(_WORKER_RUN_NAME) + ")"
_POLL_S = 0.05
_FRAME_HEADER = struct.Struct(">II")  # header-JSON length, body length
# Header FC adds to the InvokeFunction response when the handler raised.
_UNHANDLED_ERROR = "UnhandledInvocationError"
# Unqualified invocations run the LATEST version (version value unconfirmed).
_LATEST = "LATEST"


# --------------------------------------------------------------------------
# Pipe framing (both sides)
# --------------------------------------------------------------------------


def _write_frame(fd: int, header: Mapping[str, Any], body: bytes) -> None:
    head = json.dumps(header).encode()
    view = memoryview(_FRAME_HEADER.pack(len(head), len(body)) + head + body)
    while view:
        view = view[os.write(fd, view) :]


def _read_exact(fd: int, size: int) -> bytes | None:
    chunks: list[bytes] = []
    while size:
        chunk = os.read(fd, min(size, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


def _read_frame(fd: int) -> tuple[dict[str, Any], bytes] | None:
    """Next ``(header, body)`` frame, or ``None`` once the writer is gone."""
    sizes = _read_exact(fd, _FRAME_HEADER.size)
    if sizes is None:
        return None
    head_len, body_len = _FRAME_HEADER.unpack(sizes)
    head = _read_exact(fd, head_len)
    body = _read_exact(fd, body_len) if body_len else b""
    if head is None or body is None:
        return None
    return json.loads(head), body


# --------------------------------------------------------------------------
# Worker side: what runs inside the emulated FC instance
# --------------------------------------------------------------------------


class _Meta:
    """Plain attribute bag: the documented fields exist, nothing else does."""

    def __init__(self, **fields: Any) -> None:
        self.__dict__.update(fields)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.__dict__!r})"


class Credentials(_Meta):
    """Temporary STS credentials of the function's role (python3.10 only)."""

    def __init__(self, access_key_id: str, access_key_secret: str, security_token: str) -> None:
        super().__init__(
            access_key_id=access_key_id,
            access_key_secret=access_key_secret,
            security_token=security_token,
        )


class FunctionMeta(_Meta):
    """``context.function``."""


class ServiceMeta(_Meta):
    """``context.service`` (python3.10 only)."""


class FCContext(_Meta):
    """The handler's ``context``; its attributes depend on the runtime."""

    def getLogger(self) -> logging.Logger:
        """Logger whose lines carry the request id (FC ``logging-2`` doc)."""
        logger = _context_logger()
        if "logger" in self.__dict__:  # python3.12: "Initially None" until asked
            self.logger = logger
        return logger


def _context_py310(req: Mapping[str, Any]) -> FCContext:
    """python3.10 context: request_id, credentials, function, service, region,
    account_id.  The doc's class sample leaves ``tracing`` commented out, so it
    is absent here too.  https://help.aliyun.com/zh/functioncompute/fc/user-guide/context-1
    """
    key_id, secret, token = req["credentials"]
    return FCContext(
        request_id=req["request_id"],
        credentials=Credentials(key_id, secret, token),
        function=FunctionMeta(
            name=req["function_name"],
            handler=req["handler"],
            memory=req["memory"],
            timeout=req["timeout"],
        ),
        service=ServiceMeta(
            log_project=req["log_project"],
            log_store=req["log_store"],
            qualifier=req["qualifier"],
            version_id=req["version_id"],
        ),
        region=req["region"],
        account_id=req["account_id"],
    )


def _context_py312(req: Mapping[str, Any]) -> FCContext:
    """python3.12 context: no ``credentials`` (use the ALIBABA_CLOUD_* env vars)
    and no ``service``.  https://help.aliyun.com/en/functioncompute/fc/context-1
    """
    return FCContext(
        request_id=req["request_id"],
        function=FunctionMeta(
            name=req["function_name"],
            handler=req["handler"],
            memory=req["memory"],
            timeout=req["timeout"],
            version_id=req["version_id"],
            qualifier=req["qualifier"],
        ),
        region=req["region"],
        logger=None,
        account_id=req["account_id"],
        log_project=req["log_project"],
        log_store=req["log_store"],
    )


_CONTEXT_BUILDERS: dict[str, Callable[[Mapping[str, Any]], FCContext]] = {
    "python3.10": _context_py310,
    "python3.12": _context_py312,
}


class _RequestIdFilter(logging.Filter):
    """Stamps records with the current request id, as FC's runtime logger does."""

    current = ""

    def filter(self, record: logging.LogRecord) -> bool:
        record.fc_request_id = _RequestIdFilter.current
        return True


def _configure_root_logger() -> None:
    """FC pre-configures the root logger: INFO level, request id in each line."""
    handler = logging.StreamHandler(sys.stdout)
    formatter = logging.Formatter(
        "%(asctime)s.%(msecs)03dZ %(fc_request_id)s [%(levelname)s] %(message)s",
        "%Y-%m-%dT%H:%M:%S",
    )
    formatter.converter = time.gmtime
    handler.setFormatter(formatter)
    handler.addFilter(_RequestIdFilter())
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(logging.INFO)


def _context_logger() -> logging.Logger:
    """The logger ``context.getLogger()`` returns (shape from the logging doc)."""
    logger = logging.getLogger("fc_context_logger")
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stdout)
        formatter = logging.Formatter(
            "%(asctime)s %(fc_request_id)s [%(levelname)s] %(message)s",
            "%Y-%m-%d %H:%M:%S",
        )
        formatter.converter = time.gmtime
        handler.setFormatter(formatter)
        handler.addFilter(_RequestIdFilter())
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False
    return logger


def _error_doc(exc: BaseException, trace: list[list[str]] | None) -> dict[str, Any]:
    doc: dict[str, Any] = {"errorMessage": str(exc), "errorType": type(exc).__name__}
    if trace:
        doc["stackTrace"] = trace
    return doc


def _split_frames(tb: TracebackType | None, skip: int) -> list[list[str]]:
    """FC's stackTrace: per frame ``['File "x"', 'line N', 'in f', 'code']``."""
    return [
        [
            f'File "{frame.filename}"',
            f"line {frame.lineno}",
            f"in {frame.name}",
            frame.line or "",
        ]
        for frame in traceback.extract_tb(tb)[skip:]
    ]


def _loading_error(kind: str, message: str, cause: BaseException) -> dict[str, Any]:
    """Handler-loading failure; its trace is the original exception's summary."""
    lines = traceback.format_exception_only(type(cause), cause)
    trace = [line.strip() for chunk in lines for line in chunk.splitlines() if line.strip()]
    return {"errorMessage": message, "errorType": kind, "stackTrace": trace}


def _load_handler(handler: str, code_path: str, cache: dict[str, Callable[..., Any]]) -> Any:
    """The handler function, or an error document; only successes are cached,
    so a broken import is retried (and reported) on every invocation."""
    if handler in cache:
        return cache[handler]
    modname, dot, fname = handler.rpartition(".")
    if not dot or not modname or not fname:
        return _loading_error("InvalidHandleName", f"Invalid handler '{handler}'", ValueError(handler))
    # "dir/module.func" loads module.py from <code>/dir.
    subdir, _, dotted = modname.rpartition("/")
    if subdir:
        path = os.path.join(code_path, subdir)
        if path not in sys.path:
            sys.path.insert(0, path)
    try:
        module = importlib.import_module(dotted)
    except ImportError as exc:
        return _loading_error("ImportModuleError", f"Unable to import module '{modname}'", exc)
    except SyntaxError as exc:
        return _loading_error("UserCodeSyntaxError", f"Syntax error in module '{modname}'", exc)
    except Exception as exc:  # any import-time failure is reported
        return _loading_error("UserCodeError", f"Module initialization error: '{exc}'", exc)
    function = getattr(module, fname, None)
    if function is None:
        missing = AttributeError(fname)
        return _loading_error(
            "HandlerNotFound",
            f"Handler '{fname}' is missing on module '{modname}'",
            missing,
        )
    cache[handler] = function
    return function


def _json_default(obj: Any) -> Any:
    if isinstance(obj, decimal.Decimal):
        return float(obj)
    if isinstance(obj, (datetime.date, datetime.datetime)):
        return obj.isoformat()
    if hasattr(obj, "to_json"):
        return obj.to_json()
    raise TypeError(f"{obj!r} is not JSON serializable")


def _serialize(result: Any) -> tuple[bytes, dict[str, Any] | None]:
    """Response body for a return value, or an error document if impossible."""
    if isinstance(result, bytes):
        return result, None
    if isinstance(result, str):
        return result.encode("utf-8"), None
    try:
        text = json.dumps(result, default=_json_default, indent=4, sort_keys=True)
    except (TypeError, ValueError) as exc:  # unsupported type, circular reference
        return b"", _error_doc(exc, _split_frames(exc.__traceback__, 0))
    return text.encode("utf-8"), None


def _serve(req: Mapping[str, Any], event: bytes, cache: dict[str, Callable[..., Any]]) -> tuple[dict[str, Any], bytes]:
    """Handle one invoke request inside the worker."""
    request_id = req["request_id"]
    _RequestIdFilter.current = request_id
    print(f"FC Invoke Start RequestId: {request_id}", flush=True)
    error: dict[str, Any] | None = None
    body = b""
    loaded = _load_handler(req["handler"], req["code_path"], cache)
    if isinstance(loaded, dict):
        error = loaded
    else:
        context = _CONTEXT_BUILDERS[req["runtime"]](req)
        try:
            result = loaded(event, context)
        except Exception as exc:  # FC reports every handler exception
            # Skip the first frame: it is this runtime calling the handler.
            error = _error_doc(exc, _split_frames(exc.__traceback__, 1))
        else:
            body, error = _serialize(result)
    if error is not None:
        logging.getLogger().error(json.dumps(error))
        body = json.dumps(error, indent=4, sort_keys=True).encode("utf-8")
    suffix = "" if error is None else ", Error: Unhandled function error"
    print(f"FC Invoke End RequestId: {request_id}{suffix}", flush=True)
    _RequestIdFilter.current = ""
    return {"request_id": request_id, "ok": error is None}, body


def _worker_main(argv: list[str]) -> None:
    """Serve invoke frames from the parent until it closes the pipe."""
    request_fd, response_fd = int(argv[0]), int(argv[1])
    _configure_root_logger()
    cache: dict[str, Callable[..., Any]] = {}
    while (frame := _read_frame(request_fd)) is not None:
        req, event = frame
        reply, body = _serve(req, event, cache)
        _write_frame(response_fd, reply, body)


# --------------------------------------------------------------------------
# Parent side
# --------------------------------------------------------------------------


@dataclass
class FcResult:
    """Outcome of one invocation, as FC's ``InvokeFunction`` would report it.

    ``payload_bytes`` is the exact response body.  ``payload`` is a best-effort
    decoding: JSON if it parses, else UTF-8 text, else the bytes themselves.
    On an unhandled error ``error`` holds the error document and ``error_type``
    the ``X-Fc-Error-Type`` header value.
    """

    request_id: str
    ok: bool
    payload_bytes: bytes
    payload: Any
    error: dict[str, Any] | None
    error_type: str | None = None


def _decode_best_effort(body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        pass
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return body


def new_request_id() -> str:
    """FC 3.0 request ids look like ``1-65362416-68afb557d64a2e283eccebce``."""
    return f"1-{int(time.time()):08x}-{secrets.token_hex(12)}"


class FcRuntime(FunctionProcess):
    """A warm FC 3.0 instance running ``handler`` from ``code_dir``.

    ``runtime`` selects the documented context shape and environment of
    ``python3.10`` or ``python3.12``; the interpreter actually used is
    ``python``.  ``credentials`` is ``(access_key_id, access_key_secret,
    security_token)`` of the function role.  ``env`` is applied last.
    """

    def __init__(
        self,
        code_dir: Path,
        handler: str,
        *,
        runtime: FcRuntimeName = "python3.10",
        env: Mapping[str, str] | None = None,
        function_name: str = "fn",
        memory_mb: int = 128,
        timeout_s: float = 30.0,
        region: str = "cn-hangzhou",
        account_id: str = "1234567890123456",
        credentials: tuple[str, str, str] = ("STS.testkey", "testsecret", "testtoken"),
        python: str = sys.executable,
        on_line: Callable[[str], None] | None = None,
    ) -> None:
        if runtime not in _CONTEXT_BUILDERS:
            raise ValueError(f"unsupported FC runtime {runtime!r}")
        self.code_dir = Path(code_dir).resolve()
        self.handler = handler
        self.runtime = runtime
        self.function_name = function_name
        self.memory_mb = memory_mb
        self.timeout_s = timeout_s
        self.region = region
        self.account_id = account_id
        self.credentials = credentials
        self.python = python
        self.on_line = on_line
        self.instance_id = f"c-{uuid.uuid4().hex[:24]}"
        self._extra_env = dict(env or {})
        self._proc: subprocess.Popen[bytes] | None = None
        self._output: OutputCapture | None = None
        self._request_fd: int | None = None
        self._replies: queue.Queue[tuple[dict[str, Any], bytes] | None] = queue.Queue()
        self._reader: threading.Thread | None = None
        self._invoke_lock = threading.Lock()

    # -- lifecycle ---------------------------------------------------------

    def _start(self) -> None:
        if not self.code_dir.is_dir():
            raise HarnessError(f"code directory does not exist: {self.code_dir}")
        request_r, request_w = os.pipe()
        reply_r, reply_w = os.pipe()
        try:
            self._proc = subprocess.Popen(
                [
                    self.python,
                    "-c",
                    _WORKER_BOOTSTRAP,
                    __file__,
                    str(request_r),
                    str(reply_w),
                ],
                cwd=self.code_dir,
                env=self._environment(),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                pass_fds=(request_r, reply_w),
            )
        except BaseException:
            for fd in (request_w, reply_r):
                os.close(fd)
            raise
        finally:
            # The child owns these ends now; closing ours makes EOF meaningful.
            os.close(request_r)
            os.close(reply_w)
        self._request_fd = request_w
        assert self._proc.stdout is not None
        self._output = OutputCapture(self._proc.stdout, self.on_line)
        self._reader = threading.Thread(target=self._pump_replies, args=(reply_r,), name="fc-replies", daemon=True)
        self._reader.start()

    def _environment(self) -> dict[str, str]:
        """FC's documented system variables for this runtime, plus the caller's."""
        key_id, secret, token = self.credentials
        # Debian 10 runtimes (python3.10) expose FC_VER_ID, Debian 11+
        # (python3.12) FC_FUNCTION_VERSION (environment-variables doc).
        version_var = "FC_VER_ID" if self.runtime == "python3.10" else "FC_FUNCTION_VERSION"
        env = host_path_env()
        env.update(
            {
                "FC_FUNC_CODE_PATH": str(self.code_dir),
                "ALIBABA_CLOUD_ACCESS_KEY_ID": key_id,
                "ALIBABA_CLOUD_ACCESS_KEY_SECRET": secret,
                "ALIBABA_CLOUD_SECURITY_TOKEN": token,
                "FC_ACCOUNT_ID": self.account_id,
                "FC_FUNCTION_HANDLER": self.handler,
                "FC_FUNCTION_MEMORY_SIZE": str(self.memory_mb),
                "FC_FUNCTION_NAME": self.function_name,
                "FC_REGION": self.region,
                "FC_INSTANCE_ID": self.instance_id,
                version_var: _LATEST,
                # The code root is importable, like /code on FC.
                "PYTHONPATH": str(self.code_dir),
                # FC's runtime flushes every write so logs are never lost.
                "PYTHONUNBUFFERED": "1",
                # /code is read-only on FC: never write __pycache__.
                "PYTHONDONTWRITEBYTECODE": "1",
                "TZ": "UTC",
            }
        )
        env.update(self._extra_env)
        return env

    def _pump_replies(self, fd: int) -> None:
        try:
            while (frame := _read_frame(fd)) is not None:
                self._replies.put(frame)
        finally:
            os.close(fd)
            self._replies.put(None)  # the worker is gone

    def close(self) -> None:
        """Stop the instance; safe to call repeatedly."""
        if self._request_fd is not None:
            os.close(self._request_fd)  # EOF: the worker leaves its loop
            self._request_fd = None
        if self._proc is not None:
            # Give the worker a moment to exit on EOF before signalling it.
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._proc.wait(_POLL_S * 4)
            stop_process(self._proc)
        if self._output is not None:
            self._output.drain()
        if self._reader is not None:
            self._reader.join(2.0)
            self._reader = None

    # -- invocation --------------------------------------------------------

    def invoke(self, event: bytes | str, *, timeout: float = 30.0, request_id: str | None = None) -> FcResult:
        """Synchronously invoke the function with the raw ``event`` payload.

        ``str`` is sent UTF-8 encoded (FC passes the body through as bytes).
        Raises :class:`RuntimeExitedError` if the instance is or becomes dead
        and :class:`InvocationTimeoutError` if no result arrives in time.
        """
        if isinstance(event, str):
            event = event.encode("utf-8")
        if not isinstance(event, bytes):
            raise TypeError(f"FC events are bytes, got {type(event).__name__}")
        with self._invoke_lock:
            proc = self._require_running()
            request = self._request(request_id or new_request_id())
            try:
                assert self._request_fd is not None
                _write_frame(self._request_fd, request, event)
            except BrokenPipeError:
                raise self._exited_error(request["request_id"]) from None
            reply, body = self._wait(request["request_id"], proc, timeout)
        if reply["ok"]:
            return FcResult(reply["request_id"], True, body, _decode_best_effort(body), None)
        error = json.loads(body)
        return FcResult(reply["request_id"], False, body, error, error, _UNHANDLED_ERROR)

    def _request(self, request_id: str) -> dict[str, Any]:
        """Per-invocation data FC hands its runtime along with the event."""
        return {
            "request_id": request_id,
            "runtime": self.runtime,
            "handler": self.handler,
            "code_path": str(self.code_dir),
            "function_name": self.function_name,
            "memory": self.memory_mb,
            # FC timeouts are whole seconds.
            "timeout": math.ceil(self.timeout_s),
            "region": self.region,
            "account_id": self.account_id,
            "credentials": list(self.credentials),
            "qualifier": _LATEST,
            "version_id": _LATEST,
            "log_project": "",
            "log_store": "",
        }

    def _require_running(self) -> subprocess.Popen[bytes]:
        if self._proc is None or self._request_fd is None:
            raise HarnessError("FcRuntime is not started; use it as a context manager")
        if self._proc.poll() is not None:
            raise self._exited_error()
        return self._proc

    def _wait(self, request_id: str, proc: subprocess.Popen[bytes], timeout: float) -> tuple[dict[str, Any], bytes]:
        started = time.monotonic()
        limit = min(timeout, self.timeout_s)
        while True:
            try:
                frame = self._replies.get(timeout=_POLL_S)
            except queue.Empty:
                if proc.poll() is not None:
                    # Dead: the reader still delivers a reply written before
                    # the exit, then its end-of-stream marker.
                    frame = self._next_reply_after_exit()
                elif time.monotonic() - started <= limit:
                    continue
                else:
                    stop_process(proc)
                    reason = (
                        f"function exceeded its configured timeout of {self.timeout_s:g}s"
                        if limit == self.timeout_s
                        else f"no result within {timeout:g}s"
                    )
                    raise InvocationTimeoutError(
                        f"FC request {request_id}: {reason}; instance destroyed",
                        logs=self._output.drain() if self._output else "",
                    ) from None
            if frame is None:
                stop_process(proc)
                raise self._exited_error(request_id)
            return frame

    def _next_reply_after_exit(self) -> tuple[dict[str, Any], bytes] | None:
        try:
            return self._replies.get(timeout=2.0)
        except queue.Empty:
            return None

    def _exited_error(self, request_id: str = "") -> RuntimeExitedError:
        assert self._proc is not None
        logs = self._output.drain() if self._output is not None else ""
        what = "the FC instance process exited"
        if request_id:
            what += f" while handling request {request_id}"
        return RuntimeExitedError(
            f"{what} (exit code {self._proc.returncode}, handler {self.handler!r})",
            logs=logs,
            returncode=self._proc.returncode,
        )


if __name__ == _WORKER_RUN_NAME:
    _worker_main(sys.argv[2:])
