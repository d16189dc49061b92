"""Pulumi's conventions: the project's config keys are declared in Pulumi.yaml (type, default,
description, secret) in step with ``components/settings.py``, and one virtualenv serves both
``pulumi`` and the tests."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import pytest
import yaml
from pulumi_harness import deploy

from components import settings
from samples import registered

ROOT = Path(__file__).resolve().parent.parent
PROJECT = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())
DECLARED = PROJECT["config"]
SPEC = {k.name: k for k in settings.CONFIG_KEYS}


def test_every_declared_key_is_a_setting_and_every_setting_is_declared() -> None:
    declared_in_settings = {k.name for k in settings.CONFIG_KEYS if k.declared}
    assert set(DECLARED) - declared_in_settings == set(), "declared in Pulumi.yaml, unknown to settings.py"
    assert declared_in_settings - set(DECLARED) == set(), "a setting Pulumi.yaml does not declare"
    assert set(settings.KEYS) == set(SPEC)


@pytest.mark.parametrize("name", sorted(k.name for k in settings.CONFIG_KEYS if k.declared))
def test_declaration_matches_the_setting(name: str) -> None:
    decl, key = DECLARED[name], SPEC[name]
    assert decl["type"] == key.type
    assert decl["description"] == key.description
    assert decl.get("secret", False) is key.secret
    if key.required:
        assert "default" not in decl  # Pulumi itself refuses a stack without it
    else:
        assert decl["default"] == key.default
    if key.type == "array":
        assert decl["items"] == {"type": "string"}  # Pulumi's schema requires items for arrays


def test_only_optional_secrets_stay_undeclared_and_the_file_says_why() -> None:
    undeclared = [k for k in settings.CONFIG_KEYS if not k.declared]
    assert [k.name for k in undeclared] == ["dbPassword"]
    assert all(k.secret and not k.required for k in undeclared)
    text = (ROOT / "Pulumi.yaml").read_text()
    for k in undeclared:
        assert re.search(rf"^#.*\b{k.name}\b", text, re.M), f"Pulumi.yaml should say why {k.name} is not declared"


def _engine_defaults() -> dict[str, str]:
    """What the engine puts in the stack's config for each unset declared key (its default)."""
    out = {}
    for name, decl in DECLARED.items():
        if "default" in decl:
            value = decl["default"]
            out[name] = (
                json.dumps(value)
                if isinstance(value, list)
                else str(value).lower()
                if isinstance(value, bool)
                else str(value)
            )
    return out


@pytest.mark.parametrize("cloud", ["aws", "ali"])
def test_pulumi_yaml_defaults_mean_what_unset_keys_mean(cloud: str) -> None:
    """The engine applies Pulumi.yaml's defaults; the program must read them exactly as it reads
    an unset key (mocks apply none), so the two files cannot drift apart silently."""
    unset = deploy(cloud, lambda app: app.settings).outputs
    with_defaults = deploy(cloud, lambda app: app.settings, _engine_defaults()).outputs
    assert dataclasses.asdict(with_defaults) == dataclasses.asdict(unset)
    assert unset.samples == tuple(registered())
    assert unset.name_suffix is None
    # fcRuntime: cn-hangzhou offers python3.12, FC's default there (and the field's default on AWS).
    assert (unset.log_retention_days, unset.lambda_runtime, unset.fc_runtime) == (30, "python3.12", "python3.12")
    assert (unset.throwaway, unset.create_service_linked_roles) == (False, False)


def test_one_virtualenv_for_pulumi_and_the_tests() -> None:
    options = PROJECT["runtime"]["options"]
    assert options["virtualenv"] == ".venv"
    assert options["toolchain"] == "pip"
    test_sh = (ROOT / ".ci" / "test.sh").read_text()
    assert ".venv/bin/python -m pytest" in test_sh
    assert "-m venv .venv" in test_sh
    # The split stays valid: the program's deps in requirements.txt, the tests' on top of them.
    dev = (ROOT / "requirements-dev.txt").read_text().splitlines()
    assert "-r requirements.txt" in dev
