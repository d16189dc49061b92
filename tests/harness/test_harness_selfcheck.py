"""Self-tests of the invocation harnesses, using tiny handlers written to tmp_path.

Each assertion pins down platform behaviour the harnesses promise, so a
harness that drifts from it fails here rather than in the function tests.
"""

from __future__ import annotations

import json
import textwrap
import time
from pathlib import Path

import pytest

from .fc_runtime import FcRuntime
from .lambda_runtime import InvocationTimeoutError, LambdaRuntime, RuntimeExitedError

# One module with several handlers keeps each test to a single small file.
HANDLERS = textwrap.dedent(
    """
    import os
    import time

    calls = 0


    def counter(event, context):
        global calls
        calls += 1
        return {"calls": calls, "pid": os.getpid()}


    def fail(event, context):
        raise ValueError("no such order: 42")


    def sleepy(event, context):
        time.sleep(30)


    def env(event, context):
        return {k: v for k, v in os.environ.items()}
    """
)

LAMBDA_HANDLERS = HANDLERS + textwrap.dedent(
    """

    def echo(event, context):
        print("echo called with", event)
        return {
            "event": event,
            "request_id": context.aws_request_id,
            "arn": context.invoked_function_arn,
            "function_name": context.function_name,
            "memory": context.memory_limit_in_mb,
            "version": context.function_version,
            "log_group": context.log_group_name,
            "remaining_ms": context.get_remaining_time_in_millis(),
            "client_custom": context.client_context.custom,
        }


    def raw_bytes(event, context):
        return b"\\x00\\xffraw"
    """
)

FC_HANDLERS = HANDLERS + textwrap.dedent(
    """
    import datetime
    import decimal
    import logging


    def describe(event, context):
        print("describe called with", event)
        logging.getLogger().info("via root logger")
        context.getLogger().info("via context logger")
        out = {
            "event_type": type(event).__name__,
            "event": event.decode(),
            "request_id": context.request_id,
            "region": context.region,
            "account_id": context.account_id,
            "function": vars(context.function),
            "attributes": sorted(vars(context)),
        }
        try:
            creds = context.credentials
        except AttributeError as exc:
            out["credentials"] = "AttributeError: " + str(exc)
        else:
            out["credentials"] = [
                creds.access_key_id, creds.access_key_secret, creds.security_token
            ]
        return out


    def as_dict(event, context):
        return {"b": 1, "a": [decimal.Decimal("1.5"), datetime.date(2024, 1, 2)]}


    def as_str(event, context):
        return "héllo"


    def as_bytes(event, context):
        return b"\\x00\\xff"


    def unserializable(event, context):
        return {"x": {1, 2}}
    """
)


def write_code(root: Path, source: str, module: str = "app") -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / f"{module}.py").write_text(source)
    return root


@pytest.fixture
def lambda_code(tmp_path: Path) -> Path:
    return write_code(tmp_path / "lambda", LAMBDA_HANDLERS)


@pytest.fixture
def fc_code(tmp_path: Path) -> Path:
    return write_code(tmp_path / "fc", FC_HANDLERS)


# --------------------------------------------------------------------------
# Lambda
# --------------------------------------------------------------------------


def test_lambda_success_goes_through_real_runtime_client(lambda_code: Path) -> None:
    with LambdaRuntime(lambda_code, "app.echo", function_name="orders", memory_mb=256, timeout_s=20) as rt:
        result = rt.invoke({"id": 7}, client_context={"custom": {"tenant": "t1"}})
        logs = rt.logs()

    assert result.ok and result.error is None
    assert result.content_type == "application/json"
    body = result.payload
    assert json.loads(result.raw) == body
    assert body["event"] == {"id": 7}
    assert body["request_id"] == result.request_id
    assert body["arn"] == "arn:aws:lambda:us-east-1:123456789012:function:orders"
    assert body["function_name"] == "orders"
    assert body["memory"] == "256"  # the runtime reads it from the environment
    assert body["version"] == "$LATEST"
    assert body["log_group"] == "/aws/lambda/orders"
    assert 0 < body["remaining_ms"] <= 20_000
    assert body["client_custom"] == {"tenant": "t1"}
    assert "echo called with {'id': 7}" in logs


def test_lambda_keeps_one_warm_process(lambda_code: Path) -> None:
    with LambdaRuntime(lambda_code, "app.counter") as rt:
        first = rt.invoke({})
        second = rt.invoke({})
    assert first.payload["calls"] == 1
    assert second.payload["calls"] == 2
    assert first.payload["pid"] == second.payload["pid"]
    assert first.request_id != second.request_id


def test_lambda_bytes_response_is_passed_through(lambda_code: Path) -> None:
    with LambdaRuntime(lambda_code, "app.raw_bytes") as rt:
        result = rt.invoke({})
    assert result.ok
    assert result.raw == b"\x00\xffraw"
    assert result.payload == b"\x00\xffraw"
    assert result.content_type == "application/unknown"


def test_lambda_handler_exception_is_an_error_result(lambda_code: Path) -> None:
    with LambdaRuntime(lambda_code, "app.fail") as rt:
        result = rt.invoke({})
        # The environment survives a handled error, as on Lambda.
        again = rt.invoke({})
    assert not result.ok
    assert result.error is not None
    assert result.error["errorType"] == "ValueError"
    assert result.error["errorMessage"] == "no such order: 42"
    assert result.error["requestId"] == result.request_id
    assert any("app.py" in frame for frame in result.error["stackTrace"])
    assert result.payload == result.error
    assert again.request_id != result.request_id and not again.ok


def test_lambda_environment_is_the_platform_one(lambda_code: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOST_ONLY_SECRET", "leak")
    with LambdaRuntime(lambda_code, "app.env", region="eu-west-1", env={"TABLE": "orders"}) as rt:
        env = rt.invoke({}).payload
    assert "HOST_ONLY_SECRET" not in env
    assert env["TABLE"] == "orders"
    assert env["AWS_REGION"] == env["AWS_DEFAULT_REGION"] == "eu-west-1"
    assert env["_HANDLER"] == "app.env"
    assert env["LAMBDA_TASK_ROOT"] == str(lambda_code.resolve())
    assert env["AWS_LAMBDA_FUNCTION_NAME"] == "fn"
    assert env["AWS_LAMBDA_RUNTIME_API"].startswith("127.0.0.1:")
    assert env["AWS_ACCESS_KEY_ID"] and env["AWS_SESSION_TOKEN"]


def test_lambda_import_error_fails_fast_with_logs(tmp_path: Path) -> None:
    code = write_code(tmp_path, "import not_packaged_dependency\n", module="broken")
    started = time.monotonic()
    with LambdaRuntime(code, "broken.handler") as rt:
        with pytest.raises(RuntimeExitedError) as caught:
            rt.invoke({}, timeout=15)
        # A dead environment stays dead and says so.
        with pytest.raises(RuntimeExitedError):
            rt.invoke({})
    assert time.monotonic() - started < 10
    err = caught.value
    assert err.init_error is not None
    assert err.init_error["errorType"] == "Runtime.ImportModuleError"
    assert "not_packaged_dependency" in err.init_error["errorMessage"]
    assert "not_packaged_dependency" in err.logs
    assert "not_packaged_dependency" in str(err)


def test_lambda_function_timeout_destroys_environment(lambda_code: Path) -> None:
    with LambdaRuntime(lambda_code, "app.sleepy", timeout_s=1) as rt:
        started = time.monotonic()
        with pytest.raises(InvocationTimeoutError, match="configured timeout"):
            rt.invoke({})
        assert time.monotonic() - started < 5
        with pytest.raises(RuntimeExitedError):
            rt.invoke({})


# --------------------------------------------------------------------------
# Function Compute
# --------------------------------------------------------------------------


def test_fc_python310_context_and_bytes_event(fc_code: Path) -> None:
    with FcRuntime(
        fc_code,
        "app.describe",
        runtime="python3.10",
        function_name="orders",
        memory_mb=512,
        timeout_s=60,
        credentials=("STS.k", "s3cret", "tok"),
    ) as rt:
        result = rt.invoke(b'{"id": 7}')
        logs = rt.logs()

    assert result.ok and result.error is None and result.error_type is None
    body = result.payload
    assert body["event_type"] == "bytes"
    assert body["event"] == '{"id": 7}'
    assert body["request_id"] == result.request_id
    assert body["region"] == "cn-hangzhou"
    assert body["account_id"] == "1234567890123456"
    assert body["credentials"] == ["STS.k", "s3cret", "tok"]
    assert body["function"] == {
        "name": "orders",
        "handler": "app.describe",
        "memory": 512,
        "timeout": 60,
    }
    assert body["attributes"] == [
        "account_id",
        "credentials",
        "function",
        "region",
        "request_id",
        "service",
    ]
    assert f"FC Invoke Start RequestId: {result.request_id}" in logs
    assert f"FC Invoke End RequestId: {result.request_id}" in logs
    assert "describe called with b'{\"id\": 7}'" in logs
    assert f"{result.request_id} [INFO] via root logger" in logs
    assert f"{result.request_id} [INFO] via context logger" in logs


def test_fc_python312_context_has_no_credentials(fc_code: Path) -> None:
    with FcRuntime(fc_code, "app.describe", runtime="python3.12") as rt:
        body = rt.invoke(b"").payload
    assert body["credentials"].startswith("AttributeError")
    assert body["attributes"] == [
        "account_id",
        "function",
        "log_project",
        "log_store",
        "logger",
        "region",
        "request_id",
    ]
    assert set(body["function"]) == {
        "name",
        "handler",
        "memory",
        "timeout",
        "version_id",
        "qualifier",
    }


@pytest.mark.parametrize(
    ("runtime", "version_var", "absent_var"),
    [
        ("python3.10", "FC_VER_ID", "FC_FUNCTION_VERSION"),
        ("python3.12", "FC_FUNCTION_VERSION", "FC_VER_ID"),
    ],
)
def test_fc_environment_carries_credentials(
    fc_code: Path,
    monkeypatch: pytest.MonkeyPatch,
    runtime: str,
    version_var: str,
    absent_var: str,
) -> None:
    monkeypatch.setenv("HOST_ONLY_SECRET", "leak")
    with FcRuntime(
        fc_code,
        "app.env",
        runtime=runtime,  # type: ignore[arg-type]
        region="cn-shanghai",
        credentials=("STS.k", "s3cret", "tok"),
        env={"TABLE": "orders"},
    ) as rt:
        env = rt.invoke(b"").payload
    assert "HOST_ONLY_SECRET" not in env
    assert env["TABLE"] == "orders"
    assert env["ALIBABA_CLOUD_ACCESS_KEY_ID"] == "STS.k"
    assert env["ALIBABA_CLOUD_ACCESS_KEY_SECRET"] == "s3cret"
    assert env["ALIBABA_CLOUD_SECURITY_TOKEN"] == "tok"
    assert env["FC_REGION"] == "cn-shanghai"
    assert env["FC_FUNCTION_NAME"] == "fn"
    assert env["FC_FUNCTION_HANDLER"] == "app.env"
    assert env["FC_FUNCTION_MEMORY_SIZE"] == "128"
    assert env["FC_ACCOUNT_ID"] == "1234567890123456"
    assert env["FC_FUNC_CODE_PATH"] == str(fc_code.resolve())
    assert version_var in env and absent_var not in env


def test_fc_keeps_one_warm_process(fc_code: Path) -> None:
    with FcRuntime(fc_code, "app.counter") as rt:
        first = rt.invoke(b"")
        second = rt.invoke(b"")
    assert first.payload["calls"] == 1
    assert second.payload["calls"] == 2
    assert first.payload["pid"] == second.payload["pid"]


@pytest.mark.parametrize(
    ("handler", "expected_bytes", "expected_payload"),
    [
        (
            "app.as_dict",
            b'{\n    "a": [\n        1.5,\n        "2024-01-02"\n    ],\n    "b": 1\n}',
            {"a": [1.5, "2024-01-02"], "b": 1},
        ),
        ("app.as_str", "héllo".encode(), "héllo"),
        ("app.as_bytes", b"\x00\xff", b"\x00\xff"),
    ],
)
def test_fc_return_value_serialization(
    fc_code: Path, handler: str, expected_bytes: bytes, expected_payload: object
) -> None:
    with FcRuntime(fc_code, handler) as rt:
        result = rt.invoke(b"")
    assert result.ok
    assert result.payload_bytes == expected_bytes
    assert result.payload == expected_payload


def test_fc_unserializable_return_is_an_error(fc_code: Path) -> None:
    with FcRuntime(fc_code, "app.unserializable") as rt:
        result = rt.invoke(b"")
    assert not result.ok
    assert result.error is not None
    assert result.error["errorType"] == "TypeError"


def test_fc_handler_exception_is_an_error_result(fc_code: Path) -> None:
    with FcRuntime(fc_code, "app.fail") as rt:
        result = rt.invoke(b"")
        logs = rt.logs()
    assert not result.ok
    assert result.error_type == "UnhandledInvocationError"
    assert result.error == json.loads(result.payload_bytes)
    assert result.error["errorType"] == "ValueError"
    assert result.error["errorMessage"] == "no such order: 42"
    # FC's documented frame shape: File, line, function, source line.
    [frame] = result.error["stackTrace"]
    assert frame[0] == f'File "{fc_code.resolve() / "app.py"}"'
    assert frame[1].startswith("line ")
    assert frame[2:] == ["in fail", 'raise ValueError("no such order: 42")']
    assert "Error: Unhandled function error" in logs


def test_fc_import_error_is_reported_not_hung(tmp_path: Path) -> None:
    code = write_code(tmp_path, "import not_packaged_dependency\n", module="broken")
    started = time.monotonic()
    with FcRuntime(code, "broken.handler") as rt:
        result = rt.invoke(b"", timeout=15)
    assert time.monotonic() - started < 10
    assert not result.ok
    assert result.error is not None
    assert result.error["errorType"] == "ImportModuleError"
    assert result.error["errorMessage"] == "Unable to import module 'broken'"
    assert "not_packaged_dependency" in json.dumps(result.error["stackTrace"])


def test_fc_process_death_raises_with_logs(tmp_path: Path) -> None:
    code = write_code(tmp_path, "print('starting up')\nraise SystemExit(3)\n", module="dies")
    with FcRuntime(code, "dies.handler") as rt, pytest.raises(RuntimeExitedError) as caught:
        rt.invoke(b"", timeout=15)
    assert caught.value.returncode == 3
    assert "starting up" in caught.value.logs


def test_fc_function_timeout_destroys_instance(fc_code: Path) -> None:
    with FcRuntime(fc_code, "app.sleepy", timeout_s=1) as rt:
        started = time.monotonic()
        with pytest.raises(InvocationTimeoutError, match="configured timeout"):
            rt.invoke(b"")
        assert time.monotonic() - started < 5
        with pytest.raises(RuntimeExitedError):
            rt.invoke(b"")
