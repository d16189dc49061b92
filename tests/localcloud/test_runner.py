"""Function runners: the declared Python, the fallback warning, warm reuse, and reload on a code
change (rebuilt by components.packaging, as the program builds it)."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

from components import packaging
from components.paths import FUNCTIONS_DIR, SHARED_LIBRARY_DIR, build_cache_dir
from localcloud.runtime import interpreters
from localcloud.runtime.runner import FunctionRunner
from localcloud.topology import FunctionSpec
from localcloud.watch import CodeWatcher


def _spec(cloud: str, runtime: str, artifact: Path, code: str = "basic") -> FunctionSpec:
    return FunctionSpec(
        f"{code}-x",
        code,
        code,
        artifact,
        f"entry_{cloud}.handler",
        runtime,
        128,
        10,
        {"CLOUDFN_CLOUD": cloud},
        "r",
        (),
        False,
    )


def _artifact(cloud: str, runtime: str, function_dir: Path = FUNCTIONS_DIR / "basic") -> Path:
    target = packaging.Target.for_runtime(cloud, runtime)
    return packaging.build(function_dir, SHARED_LIBRARY_DIR, target, build_cache_dir()).path


@pytest.mark.parametrize("runtime", ["python3.10", "python3.12"])
def test_runs_under_the_declared_python_and_stays_warm(cloud: str, runtime: str, tmp_path: Path) -> None:
    interp = interpreters.find(runtime)
    if not interp.exact:
        pytest.skip(f"{runtime} is not installed here: {interp.warning}")
    lines: list[tuple[str, str]] = []
    runner = FunctionRunner(
        _spec(cloud, runtime, _artifact(cloud, runtime)),
        cloud,
        {"CLOUDFN_CLOUD": cloud},
        workdir=tmp_path,
        region="r",
        account="1",
        on_log=lambda fn, rid, text: lines.append((rid, text)),
    )
    runner.prepare()
    try:
        first = runner.invoke({} if cloud == "aws" else b"")
        pid = runner.pid
        second = runner.invoke({} if cloud == "aws" else b"")
        assert first.ok and first.payload == "hello world" and second.ok
        assert runner.pid == pid and not second.cold and runner.cold_starts == 1
        wanted = {first.request_id, second.request_id}

        def tagged() -> set[str]:
            return {rid for rid, t in list(lines) if f"python {runtime[6:]}." in t and f"on {cloud}" in t}

        deadline = time.monotonic() + 5  # output is read on a thread: lines land just after results
        while time.monotonic() < deadline and tagged() != wanted:
            time.sleep(0.05)
        assert tagged() == wanted
    finally:
        runner.stop()


def test_a_missing_python_falls_back_with_a_warning(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PYENV_ROOT", str(tmp_path))  # no pyenv versions
    monkeypatch.setattr(interpreters, "_CHOSEN", {})
    monkeypatch.setattr(shutil, "which", lambda name: None)
    interp = interpreters.find("python3.7")
    assert interp.path == interpreters.sys.executable and not interp.exact
    assert "Python 3.7 (runtime python3.7) is not installed here" in interp.warning
    assert "pyenv install 3.7" in interp.warning


def test_a_code_change_rebuilds_and_reloads(cloud: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLOUDFN_BUILD_DIR", str(tmp_path / "build"))
    project = tmp_path / "project"
    shutil.copytree(FUNCTIONS_DIR / "basic", project / "functions" / "basic")
    shutil.copytree(SHARED_LIBRARY_DIR, project / "functions" / "cloudfn")
    runtime = "python3.12"
    art = packaging.build(
        project / "functions" / "basic",
        project / "functions" / "cloudfn",
        packaging.Target.for_runtime(cloud, runtime),
        tmp_path / "build",
    )
    runner = FunctionRunner(
        _spec(cloud, runtime, art.path),
        cloud,
        {"CLOUDFN_CLOUD": cloud},
        workdir=tmp_path / "w",
        region="r",
        account="1",
    )
    runner.prepare()
    said: list[str] = []
    watcher = CodeWatcher(project, cloud, {runner.spec.name: runner}, said.append)
    try:
        event = {} if cloud == "aws" else b""
        assert runner.invoke(event).payload == "hello world"
        watcher.start()
        watcher.stop()  # checks are driven by hand below
        assert watcher.check() == []
        logic = project / "functions" / "basic" / "basic.py"
        logic.write_text(logic.read_text().replace('"hello world"', '"hello again"'))
        os.utime(logic, ns=(time.time_ns(), time.time_ns() + 1_000_000))
        assert watcher.check() == [runner.spec.name]
        result = runner.invoke(event)
        assert result.ok and result.payload == "hello again" and runner.cold_starts == 2
        assert "functions/basic changed" in said[0]
    finally:
        runner.stop()
