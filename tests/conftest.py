"""Shared fixtures. The repo root and ``functions/`` are importable, as in the zips.

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
    # One build cache per test run, never the user's .build/.
    if "CLOUDFN_BUILD_DIR" not in os.environ:
        import tempfile

        os.environ["CLOUDFN_BUILD_DIR"] = tempfile.mkdtemp(prefix="cloudfn-build-")
