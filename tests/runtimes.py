"""The target interpreters: each function's artifact runs under the Python its platform runs.

Lambda's python3.12+ and FC's python3.10/3.12 artifacts carry binary wheels built for that
CPython (Pillow, psycopg), so they can only be run by that interpreter. Each runtime gets its own
virtual environment under ``.build/runtimes/``, made from the interpreter found on this machine
(pyenv, or ``python3.X`` on PATH), holding what the platform's image provides and nothing else:

- Lambda: ``awslambdaric`` (the runtime client, which the image runs) and ``boto3`` (the SDK the
  image ships), at the versions pinned in ``requirements-dev.txt``; the function's zip comes first
  on ``sys.path``, as ``/var/task`` does;
- FC: nothing; FC's contract is the harness's worker, which imports only the standard library.

A virtual environment, not the bare interpreter, so nothing installed into pyenv's own
site-packages can stand in for what the zip should carry.

Where an interpreter is missing, the test is skipped with a message naming it; with
``CLOUDFN_REQUIRE_TARGET_PYTHONS=1`` (CI) it fails instead. ``python tests/runtimes.py`` makes
every environment ahead of the tests (``.ci/test.sh`` runs it).
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from harness import FcRuntime, LambdaRuntime

ROOT = Path(__file__).resolve().parent.parent
RUNTIMES_DIR = ROOT / ".build" / "runtimes"
REQUIRE_ENV = "CLOUDFN_REQUIRE_TARGET_PYTHONS"
# What each platform's image provides beside the interpreter.
PROVIDED = {"lambda": ("awslambdaric", "boto3"), "fc": ()}
# The runtimes the invocation tests run (components/settings.py allows these and Lambda's
# python3.14, for which this machine image has no interpreter: its zips are tag-checked only).
LAMBDA_RUNTIMES = ("python3.12", "python3.13")
FC_RUNTIMES = ("python3.10", "python3.12")


class MissingInterpreter(Exception):
    """The interpreter a runtime needs is not on this machine."""


def _pins(names: tuple[str, ...]) -> list[str]:
    """``name==version`` for each name, as pinned in requirements-dev.txt (one source of truth)."""
    text = (ROOT / "requirements-dev.txt").read_text()
    pins = []
    for name in names:
        m = re.search(rf"^{re.escape(name)}(\[[^\]]*\])?==(\S+)", text, re.MULTILINE)
        if m is None:
            raise RuntimeError(f"requirements-dev.txt pins no version of {name}")
        pins.append(f"{name}=={m.group(2)}")
    return pins


def find_interpreter(version: str) -> str | None:
    """A CPython ``version`` ("3.12") on this machine: ``$CLOUDFN_PYTHON_3_12``, pyenv, PATH."""
    override = os.environ.get(f"CLOUDFN_PYTHON_{version.replace('.', '_')}")
    candidates = [override] if override else []
    pyenv_root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    candidates += [str(p) for p in sorted(pyenv_root.glob(f"versions/{version}.*/bin/python{version}"), reverse=True)]
    found = shutil.which(f"python{version}")
    if found:
        candidates.append(found)
    for candidate in candidates:
        if _version_of(candidate) == version:
            return candidate
    return None


def _version_of(python: str) -> str | None:
    try:
        out = subprocess.run(
            [python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True,
            text=True,
            timeout=30,
        )
    except OSError:
        return None
    return out.stdout.strip() if out.returncode == 0 else None


def environment(platform: str, runtime: str) -> Path:
    """The python of the (cached) environment for ``platform`` ("lambda"/"fc") and ``runtime``."""
    version = runtime.removeprefix("python")
    base = find_interpreter(version)
    if base is None:
        raise MissingInterpreter(
            f"CPython {version} (the {platform} {runtime} runtime) is not installed: "
            f"`pyenv install {version}` or set CLOUDFN_PYTHON_{version.replace('.', '_')}"
        )
    pins = _pins(PROVIDED[platform])
    key = hashlib.sha256("\n".join([base, *pins]).encode()).hexdigest()[:12]
    dest = RUNTIMES_DIR / f"{platform}-{runtime}-{key}"
    python = dest / "bin" / "python"
    if python.exists():
        return python
    RUNTIMES_DIR.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f"{dest.name}.", dir=RUNTIMES_DIR))
    try:
        _run([base, "-m", "venv", "--without-pip", str(staging)])
        if pins:
            site = _run(
                [str(staging / "bin" / "python"), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"]
            ).strip()
            # The target interpreter's own pip picks wheels for itself, as the image's builders do.
            pip = [base, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-compile"]
            _run([*pip, "--only-binary=:all:", "--target", site, *pins])
        # Only the activate scripts name the folder (unused here): renaming the finished
        # environment into place is safe, and a half-made one is never seen.
        staging.rename(dest)
    except FileExistsError:
        pass  # another run made it first
    except OSError:
        if not python.exists():
            raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return python


def _run(cmd: list[str]) -> str:
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{proc.stderr[-3000:]}")
    return proc.stdout


def require(platform: str, runtime: str) -> str:
    """The environment's python, or skip (fail under CI) naming what is missing."""
    import pytest

    try:
        return str(environment(platform, runtime))
    except MissingInterpreter as exc:
        if os.environ.get(REQUIRE_ENV) == "1":
            pytest.fail(f"{exc} ({REQUIRE_ENV}=1)")
        pytest.skip(str(exc))


def on_lambda(code_dir: Path, handler: str, runtime: str, **kwargs: Any) -> LambdaRuntime:
    """A :class:`harness.LambdaRuntime` running under ``runtime``'s interpreter and runtime client."""
    from harness import LambdaRuntime

    return LambdaRuntime(code_dir, handler, python=require("lambda", runtime), **kwargs)


def on_fc(code_dir: Path, handler: str, runtime: str, **kwargs: Any) -> FcRuntime:
    """A :class:`harness.FcRuntime` with ``runtime``'s context shape, under its interpreter."""
    from harness import FcRuntime

    return FcRuntime(code_dir, handler, runtime=runtime, python=require("fc", runtime), **kwargs)


def main() -> int:
    """Make every environment now; report (not fail on) a missing interpreter unless required."""
    missing = 0
    for platform, runtimes in (("lambda", LAMBDA_RUNTIMES), ("fc", FC_RUNTIMES)):
        for runtime in runtimes:
            try:
                print(f"{platform} {runtime}: {environment(platform, runtime)}")
            except MissingInterpreter as exc:
                missing += 1
                print(f"{platform} {runtime}: skipped, {exc}", file=sys.stderr)
    return 1 if missing and os.environ.get(REQUIRE_ENV) == "1" else 0


if __name__ == "__main__":
    sys.exit(main())
