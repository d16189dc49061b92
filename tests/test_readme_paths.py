"""The README's newcomer paths, followed literally: its code blocks are what runs here, so the
document cannot drift from what works.

- "Quick start": each block's ``pulumi`` commands, in order, with the config they set, and the
  program those settings produce under Pulumi's mocks (only ``basic``);
- "The full application": the stack files plus the block's settings produce every sample;
- "Adding a function": in a copy of the repository, each shell block is run and each
  ``# <path>`` Python block written, as a reader would; the generated test must then pass
  (deploy -> unpack -> invoke on both clouds) and everything written must pass ruff.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import textwrap
from pathlib import Path

import pytest
import yaml
from pulumi_harness import deploy

from samples import compose, registered

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()
FUNCTION_TYPES = {"aws": "aws:lambda/function:Function", "ali": "alicloud:fc/v3Function:V3Function"}


def section(heading: str) -> str:
    """The text under ``heading`` (a full heading line) up to the next heading of its level or above."""
    level = len(heading) - len(heading.lstrip("#"))
    start = README.index(heading + "\n")
    rest = README[start + len(heading) + 1 :]
    stop = re.search(rf"^#{{1,{level}}} ", rest, re.M)
    return rest[: stop.start()] if stop else rest


def code_blocks(text: str) -> list[tuple[str, str]]:
    """(language, body) of each fenced block, list indentation removed."""
    found = re.finditer(r"^( *)```(\w*)\n(.*?)^\1```", text, re.M | re.S)
    return [(m.group(2), textwrap.dedent(m.group(3))) for m in found]


def pulumi_steps(body: str) -> tuple[list[str], dict[str, object]]:
    """The ``pulumi`` commands of a shell block, and the config its ``config set`` lines make."""
    commands: list[str] = []
    config: dict[str, object] = {}
    for line in body.splitlines():
        words = shlex.split(line, comments=True)
        if not words or words[0] != "pulumi":
            continue
        commands.append(" ".join(words))
        if words[1:3] == ["config", "set"]:
            args = [w for w in words[3:] if w not in ("--secret", "--path")]
            key, value = args
            if "--path" in words:
                name, index = re.fullmatch(r"(\w+)\[(\d+)\]", key).groups()
                items = config.setdefault(name, [])
                assert isinstance(items, list) and int(index) == len(items)
                items.append(value)
            else:
                config[key] = value
    return commands, config


def _functions(deployment) -> list[str]:
    return sorted(r.name for r in deployment.of_type(FUNCTION_TYPES[deployment.cloud]))


QUICK_START = [
    b for lang, b in code_blocks(section("### Quick start: one function on a throwaway stack")) if lang == "sh"
]


@pytest.mark.parametrize(("block", "cloud"), [(0, "aws"), (1, "ali")])
def test_quick_start_deploys_only_basic_on_a_throwaway_stack(block: int, cloud: str) -> None:
    commands, config = pulumi_steps(QUICK_START[block])
    stack = commands[0].removeprefix("pulumi stack select -c ")
    assert commands[0].startswith("pulumi stack select -c ") and stack.startswith("try-")
    assert not (ROOT / f"Pulumi.{stack}.yaml").exists(), "a throwaway stack, not one of the project's"
    # The order a reader follows: create, configure, deploy, look, remove everything.
    assert [c.split()[1] for c in commands] == ["stack"] + ["config"] * len(config) + [
        "up",
        "stack",
        "destroy",
        "stack",
    ]
    assert commands[-2:] == ["pulumi destroy", f"pulumi stack rm {stack}"]
    assert config["cloud"] == cloud and config["samples"] == ["basic"] and config["throwaway"] == "true"
    deployment = deploy(cloud, compose, config, base=False)
    assert _functions(deployment) == ["basic"]
    assert set(deployment.outputs["functions"]) == {"basic.basic"}


FULL = [b for lang, b in code_blocks(section("### The full application")) if lang == "sh"]


@pytest.mark.parametrize(("block", "cloud"), [(0, "aws"), (1, "ali")])
def test_full_application_deploys_every_sample(block: int, cloud: str) -> None:
    commands, config = pulumi_steps(FULL[block])
    stack = commands[0].removeprefix("pulumi stack select -c ")
    assert commands[-1] == "pulumi up"
    stack_file = yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text())["config"]
    settings = {k.removeprefix("multicloud:"): v for k, v in stack_file.items()} | config
    assert settings["cloud"] == cloud
    deployment = deploy(cloud, compose, settings, base=False)
    assert {k.split(".")[0] for k in deployment.outputs["functions"]} == set(registered())


STEPS = code_blocks(section("## Adding a function"))
COPIED = [
    *("components", "functions", "localcloud", "samples", "templates", "tests", "__main__.py", "Pulumi.yaml"),
    "pyproject.toml",
    *("requirements.txt", "requirements-dev.txt"),
]


def test_adding_a_function_as_the_readme_says(tmp_path: Path) -> None:
    project = tmp_path / "repo"
    project.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", ".pytest_cache", ".ruff_cache", ".build")
    for name in COPIED:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, project / name, ignore=ignore)
        else:
            shutil.copy2(src, project / name)
    (project / ".venv").symlink_to(ROOT / ".venv")
    # The target interpreters' environments (tests/runtimes.py) are shared, not rebuilt.
    (project / ".build").mkdir()
    (ROOT / ".build" / "runtimes").mkdir(parents=True, exist_ok=True)
    (project / ".build" / "runtimes").symlink_to(ROOT / ".build" / "runtimes")
    env = {k: v for k, v in os.environ.items() if k not in ("CLOUDFN_PROJECT_DIR", "PYTHONPATH")}

    assert [lang for lang, _ in STEPS] == ["sh", "python", "sh"]
    written: list[str] = []
    outputs: list[str] = []
    for lang, body in STEPS:
        if lang == "python":
            path = re.fullmatch(r"# (\S+)", body.splitlines()[0]).group(1)
            (project / path).write_text(body)
            written.append(path)
        else:
            proc = subprocess.run(
                ["bash", "-euo", "pipefail", "-c", body], cwd=project, env=env, capture_output=True, text=True
            )
            assert proc.returncode == 0, f"{body}\n{proc.stdout}\n{proc.stderr}"
            outputs.append(proc.stdout)

    new = ["functions/object_stats", "tests/test_object_stats.py", *written]
    for path in new:
        assert (project / path).exists(), path
    assert sorted(p.name for p in (project / "functions" / "object_stats").iterdir()) == [
        "entry_ali.py",
        "entry_aws.py",
        "object_stats.py",
    ]
    # The generated test ran its logic test and deploy -> unpack -> invoke on both clouds.
    assert re.search(r"\b3 passed\b", outputs[-1]) and "failed" not in outputs[-1], outputs[-1]
    # What the README has you write passes the project's linter as it stands.
    for check in (["check"], ["format", "--check"]):
        lint = subprocess.run(
            [str(project / ".venv/bin/ruff"), *check, *new], cwd=project, capture_output=True, text=True
        )
        assert lint.returncode == 0, lint.stdout + lint.stderr
