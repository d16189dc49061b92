"""The application's samples register themselves; the ``samples`` setting selects among them."""

from __future__ import annotations

import sys
from pathlib import Path

import pulumi
import pytest
from pulumi_harness import deploy, resolve

import samples
from samples import registry

SAMPLES_DIR = Path(samples.__file__).parent


def test_every_module_of_the_package_is_a_registered_sample_of_its_own_name() -> None:
    modules = sorted(p.stem for p in SAMPLES_DIR.glob("*.py") if p.stem not in {"__init__", "registry"})
    builds = samples.registered()
    assert sorted(builds) == modules
    assert all(builds[name].__module__ == f"samples.{name}" for name in modules)


def test_components_hold_no_sample_and_no_sample_list() -> None:
    root = SAMPLES_DIR.parent / "components"
    assert not (root / "samples").exists()
    assert "thumbnailer" not in (root / "settings.py").read_text()


@pytest.fixture
def probe_sample(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """A new module dropped into the package (here through its search path), listed nowhere."""
    (tmp_path / "probe.py").write_text(
        "from components.function import FunctionArgs, ServerlessFunction\n"
        "from samples.registry import sample\n\n\n"
        '@sample("probe")\n'
        "def build(app):\n"
        '    fn = ServerlessFunction("probe", FunctionArgs(code="basic"))\n'
        '    return {"functions": {"probe": fn.function_name}, "answer": 42}\n'
    )
    monkeypatch.setattr(samples, "__path__", [*samples.__path__, str(tmp_path)])
    yield "probe"
    registry._SAMPLES.pop("probe", None)
    sys.modules.pop("samples.probe", None)


def test_adding_a_sample_is_adding_one_module(probe_sample: str, cloud: str) -> None:
    assert probe_sample in samples.registered()
    d = deploy(cloud, samples.compose, {"samples": [probe_sample]})
    assert resolve(d.outputs["probe.answer"]) == 42
    token = "aws:lambda/function:Function" if cloud == "aws" else "alicloud:fc/v3Function:V3Function"
    assert [r.name for r in d.of_type(token)] == ["probe"]


def test_unknown_sample_names_it_and_the_registered_ones(probe_sample: str) -> None:
    samples.registered()
    with pytest.raises(pulumi.RunError) as err:
        deploy("aws", samples.compose, {"samples": ["basic", "nope"]})
    message = str(err.value)
    assert "config 'samples'" in message and "['nope']" in message
    for name in [*(p.stem for p in SAMPLES_DIR.glob("*.py") if p.stem not in {"__init__", "registry"}), "probe"]:
        assert repr(name) in message


def test_a_name_registered_by_two_modules_is_refused() -> None:
    def other(app):  # type: ignore[no-untyped-def]
        return {}

    other.__module__ = "samples.elsewhere"
    with pytest.raises(ValueError, match="registered twice"):
        registry.sample("basic")(other)


def test_default_selection_is_every_registered_sample() -> None:
    d = deploy("aws", lambda app: {"selected": app.settings.samples}, {"dbPassword": None})
    assert d.outputs["selected"] == tuple(samples.registered())
