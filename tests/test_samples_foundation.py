"""basic and timer, deployed under mocks, then invoked exactly as each platform invokes them:
AWS through the real runtime client (awslambdaric) against a local Runtime API, FC with event
bytes and the documented context, both from the very zip, handler and environment the program set."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from deployed import unpack
from events.load import ali_event, aws_event
from harness import FcRuntime, LambdaRuntime
from pulumi_harness import deploy

from components.function import FunctionArgs, ServerlessFunction
from components.schedule import Schedule, ScheduleArgs


def _program(app):
    basic = ServerlessFunction("basic", FunctionArgs(code="basic"))
    timer = ServerlessFunction("timer", FunctionArgs(code="timer"))
    Schedule("every-5m", ScheduleArgs(function=timer, rate="5 minutes", payload={"message": "some-custom-payload"}))
    return {"basic": basic, "timer": timer}


@pytest.fixture(scope="module")
def aws_functions(tmp_path_factory: pytest.TempPathFactory):
    d = deploy("aws", _program)
    root = tmp_path_factory.mktemp("aws")
    return {k: unpack(d, v, root / k) for k, v in d.outputs.items()}


@pytest.fixture(scope="module")
def ali_functions(tmp_path_factory: pytest.TempPathFactory):
    d = deploy("ali", _program, {"fcRuntime": "python3.10"})
    root = tmp_path_factory.mktemp("ali")
    return {k: unpack(d, v, root / k) for k, v in d.outputs.items()}


def _tick_line(logs: str) -> dict:
    line = next(ln for ln in logs.splitlines() if "tick {" in ln)
    return json.loads(line[line.index("tick {") + 5 :])


def test_basic_on_lambda(aws_functions) -> None:
    fn = aws_functions["basic"]
    with LambdaRuntime(fn.code_dir, fn.handler, env=fn.env, function_name=fn.function_name) as rt:
        result = rt.invoke({})
        logs = rt.logs()
    assert result.ok and result.payload == "hello world"
    assert "hello world" in logs and "python 3." in logs and "on aws" in logs


@pytest.mark.parametrize("runtime", ["python3.10", "python3.12"])
def test_basic_on_fc(ali_functions, runtime: str) -> None:
    fn = ali_functions["basic"]
    with FcRuntime(fn.code_dir, fn.handler, runtime=runtime, env=fn.env, function_name=fn.function_name) as rt:
        result = rt.invoke(b"")
        logs = rt.logs()
    assert result.ok and result.payload_bytes == b"hello world"
    assert "hello world" in logs and "on ali" in logs


def test_timer_logs_the_same_tick_on_both_clouds(aws_functions, ali_functions) -> None:
    aws_fn, ali_fn = aws_functions["timer"], ali_functions["timer"]
    with LambdaRuntime(aws_fn.code_dir, aws_fn.handler, env=aws_fn.env, function_name=aws_fn.function_name) as rt:
        aws_result = rt.invoke(aws_event("scheduler_input.json"))
        aws_logs = rt.logs()
    with FcRuntime(ali_fn.code_dir, ali_fn.handler, env=ali_fn.env, function_name=ali_fn.function_name) as rt:
        ali_result = rt.invoke(ali_event("timer_envelope.json"))
        ali_logs = rt.logs()
    assert aws_result.ok and ali_result.ok, (aws_logs, ali_logs)
    expected = {
        "payload": {"message": "some-custom-payload"},
        "schedule": "timer-every-5m",
        "time": "2026-11-24T10:05:00+00:00",
    }
    assert _tick_line(aws_logs) == _tick_line(ali_logs) == expected
    assert aws_result.payload == expected
    assert json.loads(ali_result.payload_bytes) == expected


def test_timer_accepts_the_tutorial_events(aws_functions, ali_functions) -> None:
    aws_fn, ali_fn = aws_functions["timer"], ali_functions["timer"]
    with LambdaRuntime(aws_fn.code_dir, aws_fn.handler, env=aws_fn.env) as rt:
        assert rt.invoke(aws_event("eventbridge_scheduled_rule.json")).payload["schedule"] == "timer_event_rule"
    with FcRuntime(ali_fn.code_dir, ali_fn.handler, env=ali_fn.env) as rt:
        assert json.loads(rt.invoke(ali_event("timer_tutorial.json")).payload_bytes)["payload"] == "some-custom-payload"


def test_malformed_events_fail_the_invocation_with_what_was_expected(aws_functions, ali_functions) -> None:
    aws_fn, ali_fn = aws_functions["timer"], ali_functions["timer"]
    with LambdaRuntime(aws_fn.code_dir, aws_fn.handler, env=aws_fn.env) as rt:
        result = rt.invoke({"Records": [{"eventSource": "aws:sqs"}]})
        logs = rt.logs()
    assert not result.ok
    assert result.error["errorType"] == "EventFormatError"
    assert "expected an EventBridge Scheduler input" in result.error["errorMessage"]
    assert "rejected event" in logs  # logged, not silently dropped
    with FcRuntime(ali_fn.code_dir, ali_fn.handler, env=ali_fn.env) as rt:
        result = rt.invoke(b"\x00not json")
    assert not result.ok
    assert result.error["errorType"] == "EventFormatError"
    assert "expected an FC timer event" in result.error["errorMessage"]


# Functions a component deploys on one cloud only: PgDatabase's admin step exists on AWS alone
# (Alibaba Cloud creates the functions' account with rds.RdsAccount).
ONE_CLOUD_FUNCTIONS = {"pg_admin": "aws"}


def test_each_sample_folder_has_an_entry_per_cloud() -> None:
    functions = Path(__file__).resolve().parent.parent / "functions"
    for folder in sorted(
        p for p in functions.iterdir() if p.is_dir() and p.name != "cloudfn" and not p.name.startswith((".", "_"))
    ):
        clouds = [ONE_CLOUD_FUNCTIONS[folder.name]] if folder.name in ONE_CLOUD_FUNCTIONS else ["aws", "ali"]
        for cloud in ("aws", "ali"):
            assert (folder / f"entry_{cloud}.py").is_file() == (cloud in clouds), (folder.name, cloud)
