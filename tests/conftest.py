"""Shared fixtures. The repo root, ``functions/`` and each function's folder are importable, as in the zips.

Fixture plugins live in ``tests/fixtures/`` (one module per local server or resource) and are
loaded automatically, so each area adds its own without touching this file.
"""

from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parent.parent
TESTS = Path(__file__).resolve().parent
FUNCTIONS = ROOT / "functions"
EVENTS = TESTS / "events"
for path in (ROOT, FUNCTIONS, TESTS):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))
# Each function's folder too, as in its zip, so a test imports a function's logic module by its
# name (``import timer``, ``from object_stats import bootstrap``): logic modules are named after
# their folders, so they never collide. Appended, so the suite's own modules win.
for folder in sorted(
    p for p in FUNCTIONS.iterdir() if p.is_dir() and p.name != "cloudfn" and not p.name.startswith(".")
):
    if str(folder) not in sys.path:
        sys.path.append(str(folder))

pytest_plugins = sorted(f"fixtures.{p.stem}" for p in (TESTS / "fixtures").glob("*.py") if not p.name.startswith("_"))


def load_function_module(folder: str, module: str) -> ModuleType:
    """Import a function's business-logic module the way its zip does (folder on sys.path)."""
    path = str(FUNCTIONS / folder)
    if path not in sys.path:
        sys.path.insert(0, path)
    return importlib.import_module(module)


@pytest.fixture(params=["aws", "ali"])
def cloud(request: pytest.FixtureRequest) -> str:
    return request.param


def pytest_configure(config: pytest.Config) -> None:
    # The program under test is this repository's, wherever pytest is started from.
    os.environ.setdefault("CLOUDFN_PROJECT_DIR", str(ROOT))
    # One build cache per test run, never the user's .build/.
    if "CLOUDFN_BUILD_DIR" not in os.environ:
        import tempfile

        os.environ["CLOUDFN_BUILD_DIR"] = tempfile.mkdtemp(prefix="cloudfn-build-")
