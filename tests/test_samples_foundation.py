"""basic and timer, deployed under mocks, then invoked exactly as each platform invokes them:
AWS through the real runtime client (awslambdaric) against a local Runtime API, FC with event
bytes and the documented context, both from the very zip, handler, environment and runtime the
program set, under that runtime's interpreter (tests/runtimes.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from deployed import Deployed, unpack_function
from events.load import ali_event, aws_event
from harness import FcRuntime, LambdaRuntime
from pulumi_harness import deploy
from runtimes import on_fc, on_lambda

from samples import compose


def _deployed(tmp_path_factory: pytest.TempPathFactory, cloud: str, config: dict[str, str]) -> dict[str, Deployed]:
    """The application's own basic and timer samples, as the stack deploys them."""
    d = deploy(cloud, compose, {"samples": ["basic", "timer"], **config})
    root = tmp_path_factory.mktemp(cloud)
    found = {name: unpack_function(d, name, root / name) for name in ("basic", "timer")}
    # The environment each runs with is the deployed one, checked by value: nothing but the cloud.
    assert {name: fn.env for name, fn in found.items()} == {
        "basic": {"CLOUDFN_CLOUD": cloud},
        "timer": {"CLOUDFN_CLOUD": cloud},
    }
    return found


def lambda_(fn: Deployed) -> LambdaRuntime:
    """The function as Lambda runs it: its runtime's interpreter and runtime client."""
    return on_lambda(fn.code_dir, fn.handler, fn.runtime, env=fn.env, function_name=fn.function_name)


def fc(fn: Deployed) -> FcRuntime:
    return on_fc(fn.code_dir, fn.handler, fn.runtime, env=fn.env, function_name=fn.function_name)


@pytest.fixture(scope="module")
def aws_functions(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Deployed]:
    return _deployed(tmp_path_factory, "aws", {})


@pytest.fixture(scope="module")
def ali_functions(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Deployed]:
    return _deployed(tmp_path_factory, "ali", {"fcRuntime": "python3.10"})


def _tick_line(logs: str) -> dict:
    line = next(ln for ln in logs.splitlines() if "tick {" in ln)
    return json.loads(line[line.index("tick {") + 5 :])


@pytest.mark.parametrize("runtime", ["python3.12", "python3.13"])
def test_basic_on_lambda(tmp_path_factory: pytest.TempPathFactory, runtime: str) -> None:
    fn = _deployed(tmp_path_factory, "aws", {"lambdaRuntime": runtime})["basic"]
    assert fn.runtime == runtime
    with lambda_(fn) as rt:
        result = rt.invoke({})
        logs = rt.logs()
    assert result.ok and result.payload == "hello world"
    # The interpreter is the runtime's own, not the one running the tests.
    assert f"python {runtime.removeprefix('python')}." in logs and "hello world" in logs and "on aws" in logs


@pytest.mark.parametrize("runtime", ["python3.10", "python3.12"])
def test_basic_on_fc(tmp_path_factory: pytest.TempPathFactory, runtime: str) -> None:
    fn = _deployed(tmp_path_factory, "ali", {"fcRuntime": runtime})["basic"]
    assert fn.runtime == runtime
    with fc(fn) as rt:
        result = rt.invoke(b"")
        logs = rt.logs()
    assert result.ok and result.payload_bytes == b"hello world"
    assert f"python {runtime.removeprefix('python')}." in logs and "hello world" in logs and "on ali" in logs


def test_timer_logs_the_same_tick_on_both_clouds(aws_functions, ali_functions) -> None:
    aws_fn, ali_fn = aws_functions["timer"], ali_functions["timer"]
    with lambda_(aws_fn) as rt:
        aws_result = rt.invoke(aws_event("scheduler_input.json"))
        aws_logs = rt.logs()
    with fc(ali_fn) as rt:
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
    with lambda_(aws_fn) as rt:
        assert rt.invoke(aws_event("eventbridge_scheduled_rule.json")).payload["schedule"] == "timer_event_rule"
    with fc(ali_fn) as rt:
        assert json.loads(rt.invoke(ali_event("timer_tutorial.json")).payload_bytes)["payload"] == "some-custom-payload"


def test_malformed_events_fail_the_invocation_with_what_was_expected(aws_functions, ali_functions) -> None:
    aws_fn, ali_fn = aws_functions["timer"], ali_functions["timer"]
    with lambda_(aws_fn) as rt:
        result = rt.invoke({"Records": [{"eventSource": "aws:sqs"}]})
        logs = rt.logs()
    assert not result.ok
    assert result.error["errorType"] == "EventFormatError"
    assert "expected an EventBridge Scheduler input" in result.error["errorMessage"]
    assert "rejected event" in logs  # logged, not silently dropped
    with fc(ali_fn) as rt:
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
