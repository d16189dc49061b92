"""Installable: the wheel of this repository, installed into a fresh virtualenv, serves another
team's Pulumi program outside this repository, on both stacks, under Pulumi's mocks.

The wheel is built with ``pip wheel --no-deps --no-build-isolation`` (hatchling from
requirements-dev.txt, so no network) and installed into a fresh virtualenv whose only extra
path is the suite's own site-packages (for the heavy Pulumi SDKs the wheel depends on; pip
checks those dependencies are satisfied). Both are cached under ``.build/wheel/<hash of the
sources>`` so an unchanged tree reuses them.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import zipfile
from pathlib import Path

import pytest
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parent.parent
ADOPTER = Path(__file__).resolve().parent / "adopter"
SOURCES = ("components", "functions/cloudfn")


def _source_files() -> list[Path]:
    files = [ROOT / "pyproject.toml", ROOT / "README.md"]
    for top in SOURCES:
        files += sorted(p for p in (ROOT / top).rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    return files


def _source_hash() -> str:
    digest = hashlib.sha256()
    for path in _source_files():
        digest.update(path.relative_to(ROOT).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:20]


def _run(cmd: list[str], **kw) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(cmd, capture_output=True, text=True, **kw)
    assert proc.returncode == 0, f"{cmd} failed:\n{proc.stdout}\n{proc.stderr}"
    return proc


def _venv_python(venv: Path) -> Path:
    return venv / "bin" / "python"


@pytest.fixture(scope="module")
def installed() -> tuple[Path, Path]:
    """(wheel, venv) for the current sources, built once per source hash."""
    cache = ROOT / ".build" / "wheel" / _source_hash()
    if (cache / "ok").is_file():
        return next((cache / "dist").glob("*.whl")), cache / "venv"
    cache.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix="staging-", dir=cache.parent))
    try:
        _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w",
              str(staging / "dist"), str(ROOT)])  # fmt: skip
        wheel = next((staging / "dist").glob("*.whl"))
        venv = staging / "venv"
        _run([sys.executable, "-m", "venv", "--without-pip", str(venv)])
        purelib = Path(
            _run(
                [str(_venv_python(venv)), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]
            ).stdout.strip()
        )
        # The dependencies (pulumi, pulumi-aws, pulumi-alicloud: hundreds of MB) come from the
        # suite's environment, as a path after the venv's own: the wheel's modules win.
        (purelib / "_suite_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
        _run([sys.executable, "-m", "pip", "--python", str(_venv_python(venv)), "install", "--no-index", "-q",
              "--disable-pip-version-check", str(wheel)])  # fmt: skip
        (staging / "ok").write_text("")
        for stale in cache.parent.iterdir():  # older source trees' builds
            if stale.is_dir() and not stale.name.startswith("staging-") and (stale / "ok").is_file():
                shutil.rmtree(stale, ignore_errors=True)
        try:
            staging.rename(cache)
        except OSError:  # built concurrently by another run: same sources, same result
            shutil.rmtree(staging, ignore_errors=True)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return next((cache / "dist").glob("*.whl")), cache / "venv"


def test_wheel_holds_the_library_and_nothing_of_the_application(installed) -> None:
    wheel, _ = installed
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
    tops = {n.split("/")[0] for n in names}
    assert tops == {"components", "cloudfn", "multicloud_serverless-0.1.0.dist-info"}
    assert "cloudfn/testing.py" in names  # users' tests import the fakes
    assert "components/packaging.py" in names and "components/aws/function.py" in names
    assert not [n for n in names if "/samples/" in n or n.startswith(("tests/", "benchmarks/", "functions/"))]
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]
    # Every module of the library made it (a new subpackage is not silently left out).
    expected = {
        ("cloudfn/" if top == "functions/cloudfn" else "components/") + p.relative_to(ROOT / top).as_posix()
        for top in SOURCES
        for p in (ROOT / top).rglob("*.py")
        if "__pycache__" not in p.parts and "samples" not in p.relative_to(ROOT / top).parts
    }
    assert expected - set(names) == set()


def test_declared_dependencies_accept_the_pinned_program_requirements() -> None:
    import tomllib

    declared = {Requirement(r).name: Requirement(r) for r in tomllib.loads((ROOT / "pyproject.toml").read_text())[
        "project"]["dependencies"]}  # fmt: skip
    pinned = {}
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            req = Requirement(line)
            pinned[req.name] = req
    assert set(declared) == set(pinned)
    for name, req in pinned.items():
        version = next(iter(req.specifier)).version
        assert declared[name].specifier.contains(version), (name, str(declared[name].specifier), version)


def _adopter_project(tmp_path: Path) -> Path:
    project = tmp_path / "their-program"
    shutil.copytree(ADOPTER, project, ignore=shutil.ignore_patterns("__pycache__"))
    return project


def _clean_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "CLOUDFN_PROJECT_DIR")}
    env["CLOUDFN_BUILD_DIR"] = str(tmp_path / "build")
    return env


# Each cloud's default runtime (cn-hangzhou offers FC's python3.12).
@pytest.mark.parametrize(("cloud", "runtime"), [("aws", "python3.12"), ("ali", "python3.12")])
def test_another_program_deploys_a_function_from_the_wheel(installed, tmp_path: Path, cloud: str, runtime: str) -> None:
    _, venv = installed
    project = _adopter_project(tmp_path)
    proc = _run([str(_venv_python(venv)), "run_under_mocks.py", cloud], cwd=project, env=_clean_env(tmp_path))
    out = json.loads(proc.stdout)

    site = Path(
        _run(
            [str(_venv_python(venv)), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]
        ).stdout.strip()
    )
    for module, origin in out["where"].items():
        assert Path(origin).is_relative_to(site), f"{module} imported from {origin}, not the installed wheel"
        assert not any(Path(origin).is_relative_to(ROOT / top) for top in SOURCES)

    assert set(out["functions"]) == {"greeter"}
    fn = out["functions"]["greeter"]
    assert fn["handler"] == f"entry_{cloud}.handler"
    assert fn["runtime"] == runtime
    names = set(fn["zip"])
    # The user's code from *their* functions/ folder, at the zip root...
    assert {"greeter.py", "entry_aws.py", "entry_ali.py"} <= names
    # ...and cloudfn from the installed package, without the fakes or the user's tests.
    installed_cloudfn = {
        f"cloudfn/{p.relative_to(site / 'cloudfn').as_posix()}"
        for p in (site / "cloudfn").rglob("*.py")
        if "__pycache__" not in p.parts
    }
    assert {n for n in names if n.startswith("cloudfn/")} == installed_cloudfn - {"cloudfn/testing.py"}
    assert "test_greeter.py" not in names
    bucket_type = {"aws": "aws:s3/bucket:Bucket", "ali": "alicloud:oss/bucket:Bucket"}[cloud]
    assert bucket_type in out["types"]


def test_their_function_tests_run_on_the_installed_fakes(installed, tmp_path: Path) -> None:
    _, venv = installed
    project = _adopter_project(tmp_path)
    proc = _run(
        [str(_venv_python(venv)), "-m", "pytest", "-q", "-p", "no:cacheprovider", "functions/greeter"],
        cwd=project,
        env=_clean_env(tmp_path),
    )
    assert "1 passed" in proc.stdout
