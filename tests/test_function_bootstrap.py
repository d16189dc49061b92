"""One way to wire a function: every function's logic module has ``bootstrap(env)`` building its
drivers from the injected settings, every entry is ``<cloud>_entry(warm(bootstrap), ...)``, and
the fakes (``cloudfn.testing``) are importable by tests but never shipped in a zip."""

from __future__ import annotations

import ast
import importlib
import inspect
import threading
import zipfile
from pathlib import Path

import pytest

from cloudfn.bootstrap import warm
from cloudfn.errors import SettingError
from cloudfn.testing import MemoryMessaging, MemoryObjectStore, invocation
from components import packaging
from components.paths import FUNCTIONS_DIR, SHARED_LIBRARY_DIR, build_cache_dir

FOLDERS = sorted(p for p in FUNCTIONS_DIR.iterdir() if p.is_dir() and p.name != "cloudfn" and p.name[0] not in "._")
ENTRIES = sorted(e for folder in FOLDERS for e in folder.glob("entry_*.py"))
MAX_ENTRY_STATEMENTS = 5  # imports + the handler line


def _bootstrap_module(entry: Path) -> str:
    tree = ast.parse(entry.read_text())
    found = [
        node.module
        for node in tree.body
        if isinstance(node, ast.ImportFrom) and any(a.name == "bootstrap" for a in node.names)
    ]
    assert len(found) == 1, f"{entry}: imports bootstrap {len(found)} times"
    return found[0]


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_each_entry_is_a_few_lines_around_warm_bootstrap(entry: Path) -> None:
    tree = ast.parse(entry.read_text())
    assert len(tree.body) <= MAX_ENTRY_STATEMENTS, f"{entry}: {len(tree.body)} statements"
    handler = [n for n in tree.body if isinstance(n, ast.Assign) and n.targets[0].id == "handler"]  # type: ignore[attr-defined]
    assert len(handler) == 1
    wrapped = [n for n in ast.walk(handler[0].value) if isinstance(n, ast.Call) and getattr(n.func, "id", "") == "warm"]
    assert [ast.unparse(n) for n in wrapped] == ["warm(bootstrap)"], (
        f"{entry}: the logic must come from warm(bootstrap)"
    )
    module = _bootstrap_module(entry)
    assert module.split(".")[0] == entry.parent.name, "bootstrap lives in the function's own logic module"


@pytest.mark.parametrize("folder", FOLDERS, ids=lambda p: p.name)
def test_each_function_bootstraps_from_given_settings(folder: Path) -> None:
    entry = next(folder.glob("entry_*.py"))
    bootstrap = importlib.import_module(_bootstrap_module(entry)).bootstrap
    params = list(inspect.signature(bootstrap).parameters.values())
    assert [(p.name, p.default) for p in params] == [("env", None)], f"{folder.name}: bootstrap(env=None)"


@pytest.mark.parametrize(
    ("module", "missing"),
    [
        ("output_object_storage", "BUCKET_FILES_NAME"),
        ("thumbnailer.bootstrap", "BUCKET_IMAGES_NAME"),
    ],
)
@pytest.mark.parametrize("cloud", ["aws", "ali"])
def test_bootstrap_reads_the_settings_it_is_given(module: str, missing: str, cloud: str) -> None:
    """The env passed in, not the process's: a missing setting is named, on either cloud."""
    bootstrap = importlib.import_module(module).bootstrap
    with pytest.raises(SettingError, match=missing):
        bootstrap({"CLOUDFN_CLOUD": cloud})


@pytest.mark.parametrize(("cloud", "adapter"), [("aws", "SqsSnsMessaging"), ("ali", "MnsMessaging")])
def test_bootstrap_picks_the_clouds_adapter(cloud: str, adapter: str) -> None:
    logic = importlib.import_module("output_notification").bootstrap({"CLOUDFN_CLOUD": cloud})
    assert type(logic.__self__.messaging).__name__ == adapter


def test_warm_builds_once_per_instance_and_again_after_a_failure() -> None:
    built: list[int] = []
    fail = [True]

    def bootstrap():
        built.append(1)
        if fail[0]:
            raise SettingError("BUCKET_X_NAME is not set")
        return lambda event, inv: (event, len(built))

    logic = warm(bootstrap)
    assert built == []  # nothing is read at import time
    with pytest.raises(SettingError):
        logic(1, invocation())
    fail[0] = False
    results = []
    threads = [threading.Thread(target=lambda i=i: results.append(logic(i, invocation()))) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(built) == 2  # the failed attempt, then exactly one build for eight concurrent calls
    assert sorted(results) == [(i, 2) for i in range(8)]


def test_fakes_are_usable_by_a_logic_test() -> None:
    logic = importlib.import_module("output_object_storage").make_logic(
        MemoryObjectStore("b", {"test.txt": "hi"}), clock=lambda: 1.5
    )
    assert logic(None, invocation())["written"] == "generated_1500.txt"
    messaging = MemoryMessaging()
    out = importlib.import_module("output_notification").OutputNotification(messaging).run(None, invocation("ali"))
    assert out == {"queue_message_id": "m-1", "topic_message_id": "p-1"}
    assert messaging.sent == [("outbox", "Sample content", {})]


def test_no_shipped_module_imports_the_fakes() -> None:
    shipped = [
        p
        for p in FUNCTIONS_DIR.rglob("*.py")
        if p != SHARED_LIBRARY_DIR / "testing.py" and "__pycache__" not in p.parts and not p.name.startswith("test_")
    ]
    offenders = []
    for path in shipped:
        for node in ast.walk(ast.parse(path.read_text())):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            if any(n == "cloudfn.testing" or n.startswith("cloudfn.testing.") for n in names):
                offenders.append(path)
    assert offenders == []


@pytest.mark.parametrize(("cloud", "runtime"), [("aws", "python3.12"), ("ali", "python3.10")])
def test_no_zip_contains_the_fakes(cloud: str, runtime: str) -> None:
    target = packaging.Target.for_runtime(cloud, runtime)
    folders = [f for f in FOLDERS if (f / f"entry_{cloud}.py").is_file()]
    assert len(folders) >= 8
    for folder in folders:
        artifact = packaging.build(folder, SHARED_LIBRARY_DIR, target, build_cache_dir())
        with zipfile.ZipFile(artifact.path) as zf:
            names = zf.namelist()
        assert "cloudfn/__init__.py" in names and "cloudfn/bootstrap.py" in names, folder.name
        assert not [n for n in names if n.startswith("cloudfn/testing")], folder.name
