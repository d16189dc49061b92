"""The target interpreters the invocation tests run artifacts under (tests/runtimes.py)."""

from __future__ import annotations

import subprocess

import pytest
import runtimes


@pytest.mark.parametrize(("platform", "runtime"), [("lambda", "python3.12"), ("fc", "python3.10")])
def test_each_runtime_runs_its_own_python_with_only_what_the_image_provides(platform: str, runtime: str) -> None:
    python = runtimes.require(platform, runtime)
    probe = (
        "import sys, importlib.util as u; print('%d.%d' % sys.version_info[:2]); "
        "print(sorted(m for m in ('awslambdaric', 'boto3', 'PIL', 'psycopg', 'pytest', 'pulumi') if u.find_spec(m)))"
    )
    out = subprocess.run([python, "-c", probe], capture_output=True, text=True, check=True).stdout.split("\n")
    assert out[0] == runtime.removeprefix("python")
    # Lambda's image ships the runtime client and boto3; FC's contract needs nothing. Nothing else
    # (Pillow, psycopg, the test tools) can stand in for what a zip should carry.
    assert out[1] == str(["awslambdaric", "boto3"] if platform == "lambda" else [])


def test_a_missing_interpreter_skips_naming_it_or_fails_under_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runtimes, "find_interpreter", lambda version: None)
    monkeypatch.delenv(runtimes.REQUIRE_ENV, raising=False)
    with pytest.raises(
        pytest.skip.Exception, match=r"CPython 3\.12 \(the lambda python3\.12 runtime\).*pyenv install 3\.12"
    ):
        runtimes.require("lambda", "python3.12")
    monkeypatch.setenv(runtimes.REQUIRE_ENV, "1")
    with pytest.raises(pytest.fail.Exception, match=r"CPython 3\.12"):
        runtimes.require("lambda", "python3.12")


def test_only_endpoints_and_credentials_may_be_rewritten_for_a_local_run() -> None:
    from deployed import pointed_at_local

    env = {"THUMBNAILS_OUTPUT_PREFIX": "thumbnails/", "QUEUE_RESULTS_URL": "https://sqs/x"}
    assert pointed_at_local(env, QUEUE_RESULTS_URL="http://127.0.0.1/x", AWS_ENDPOINT_URL_S3="http://l") == {
        "THUMBNAILS_OUTPUT_PREFIX": "thumbnails/",
        "QUEUE_RESULTS_URL": "http://127.0.0.1/x",
        "AWS_ENDPOINT_URL_S3": "http://l",
    }
    with pytest.raises(AssertionError, match="THUMBNAILS_OUTPUT_PREFIX"):
        pointed_at_local(env, THUMBNAILS_OUTPUT_PREFIX="thumbs/")
