"""The program lifecycle: late-bound inputs resolve at finalize, and never hang on failure."""

from __future__ import annotations

import pulumi
import pytest
from pulumi_harness import deploy, resolve

from components.app import Application
from components.function import FunctionArgs, ServerlessFunction
from components.naming import Namer, stack_suffix, validate_name


def test_components_outside_an_application_fail_clearly() -> None:
    with pytest.raises(pulumi.RunError, match=r"Application\.load"):
        ServerlessFunction("x", FunctionArgs(code="basic"))


def test_deferred_values_see_everything_declared_before_finalize() -> None:
    seen = {}

    def program(app: Application):
        items: list[str] = []
        out = app.deferred(lambda: list(items))
        items.append("declared-later")
        seen["out"] = out
        return {}

    deploy("aws", program)
    assert resolve(seen["out"]) == ["declared-later"]


def test_a_failing_program_fails_its_deferred_inputs_instead_of_hanging() -> None:
    seen = {}

    def program(app: Application):
        seen["out"] = app.deferred(lambda: "never")
        raise ValueError("boom")

    with pytest.raises(ValueError, match="boom"):
        deploy("aws", program)
    with pytest.raises(pulumi.RunError, match="failed before it was finalized: boom"):
        resolve(seen["out"])


def test_finalize_callbacks_can_reject_the_whole_program() -> None:
    def program(app: Application):
        app.on_finalize(lambda: (_ for _ in ()).throw(pulumi.RunError("cross-component check")))
        return {}

    with pytest.raises(pulumi.RunError, match="cross-component check"):
        deploy("ali", program)


def test_suffix_is_deterministic_and_differs_per_account_region_stack() -> None:
    base = ("aws", "123", "us-east-1", "p", "s")
    assert stack_suffix(*base) == stack_suffix(*base)
    variants = {stack_suffix(*base[:i], "other", *base[i + 1 :]) for i in range(5)}
    assert len(variants | {stack_suffix(*base)}) == 6
    assert Namer("abcd1234").physical("api", "fn") == "api-fn-abcd1234"


@pytest.mark.parametrize("good", ["a", "api", "resize-images", "a1-b2", "x" * 32])
def test_valid_names(good: str) -> None:
    assert validate_name("Bucket", good) == good


@pytest.mark.parametrize("bad", ["", "A", "1api", "api-", "a--b", "a_b", "a.b", "x" * 33, None, 5])
def test_invalid_names(bad: object) -> None:
    with pytest.raises(pulumi.RunError, match="Bucket name"):
        validate_name("Bucket", bad)


# The suffix of the mock stacks (pulumi_harness: project "multicloud", stacks "aws"/"ali", their
# account and region). Pinned: if it changed, every resource of every deployed stack would be
# renamed, that is replaced, on the next `pulumi up`.
KNOWN_SUFFIX = {"aws": "83970e7a", "ali": "a4f6de28"}
_SUFFIX_SCRIPT = """
import json, sys
sys.path[:0] = sys.argv[1:]
from pulumi_harness import deploy
print(json.dumps({c: deploy(c, lambda app: [app.names.suffix, app.names.physical("photos", "logs")]).outputs
                  for c in ("aws", "ali")}))
"""


@pytest.mark.parametrize("seed", ["0", "1", "271828"])
def test_the_stack_suffix_is_the_same_in_every_process(seed: str) -> None:
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    tests = Path(__file__).resolve().parent
    env = {**os.environ, "PYTHONHASHSEED": seed}
    proc = subprocess.run(
        [sys.executable, "-c", _SUFFIX_SCRIPT, str(tests.parent), str(tests)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    names = json.loads(proc.stdout.strip().splitlines()[-1])
    assert names == {c: [s, f"photos-logs-{s}"] for c, s in KNOWN_SUFFIX.items()}
