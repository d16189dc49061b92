"""Which Python runs a function, and the Lambda runtime's own packages for it.

A function declares ``python3.X``; the local cloud runs it under that version where the machine has
it (pyenv's versions, or ``python3.X`` on PATH), and otherwise under the current interpreter with a
warning that names what is missing.  A Lambda function also needs what Lambda's runtime provides
outside the deployment package: the runtime interface client (``awslambdaric``, which the local
Runtime API drives) and ``boto3``.  Those are installed once per interpreter version from PyPI with
that interpreter's pip, into a cache directory (``~/.cache/localcloud/lambda-runtime/<ver>``,
``$LOCALCLOUD_CACHE`` overrides the root), and put on the path after the package, as /var/runtime is.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from localcloud.runtime.process import interpreter_version

# What the Lambda Python runtime carries besides the function's zip; pinned like requirements-dev.txt.
LAMBDA_RUNTIME_PACKAGES = ("awslambdaric==4.2.2", "boto3==1.44.8")
_RUNTIME = re.compile(r"^python(\d+)\.(\d+)$")


class InterpreterError(RuntimeError):
    """No usable interpreter or runtime support could be prepared."""


@dataclass(frozen=True)
class Interpreter:
    path: str
    version: str  # "3.12"
    wanted: str  # "3.12", from the function's runtime
    warning: str | None  # set when this is a fallback

    @property
    def exact(self) -> bool:
        return self.version == self.wanted


def cache_root() -> Path:
    return Path(os.environ.get("LOCALCLOUD_CACHE") or Path.home() / ".cache" / "localcloud")


def _pyenv_candidates(version: str) -> list[Path]:
    root = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv") / "versions"
    if not root.is_dir():
        return []
    found = [p for p in root.iterdir() if p.name == version or p.name.startswith(version + ".")]
    # Highest patch release first ("3.12.10" after "3.12.9").
    found.sort(key=lambda p: [int(x) if x.isdigit() else 0 for x in p.name.split(".")], reverse=True)
    return [p / "bin" / "python" for p in found]


_CHOSEN: dict[str, Interpreter] = {}


def find(runtime: str) -> Interpreter:
    """The interpreter for a function runtime such as ``python3.12``."""
    if runtime in _CHOSEN:
        return _CHOSEN[runtime]
    match = _RUNTIME.match(runtime)
    if match is None:
        raise InterpreterError(f"runtime {runtime!r} is not a Python runtime (expected 'python3.X')")
    wanted = f"{match[1]}.{match[2]}"
    current = f"{sys.version_info.major}.{sys.version_info.minor}"
    candidates: list[str] = []
    if current == wanted:
        candidates.append(sys.executable)
    candidates += [str(p) for p in _pyenv_candidates(wanted) if p.exists()]
    on_path = shutil.which(f"python{wanted}")
    if on_path:
        candidates.append(on_path)
    for path in candidates:
        try:
            if interpreter_version(path) == wanted:
                chosen = Interpreter(path, wanted, wanted, None)
                break
        except (OSError, subprocess.SubprocessError):
            continue
    else:
        chosen = Interpreter(
            sys.executable,
            current,
            wanted,
            f"Python {wanted} (runtime {runtime}) is not installed here (looked in pyenv and for "
            f"python{wanted} on PATH); running under Python {current} ({sys.executable}) instead. "
            f"Wheels built for {runtime} may not import. Install it with: pyenv install {wanted}",
        )
    _CHOSEN[runtime] = chosen
    return chosen


def _importable(python: str, module: str, extra: Path | None = None) -> bool:
    env = dict(os.environ)
    if extra is not None:
        env["PYTHONPATH"] = str(extra)
    done = subprocess.run([python, "-c", f"import {module}"], capture_output=True, env=env, timeout=60)
    return done.returncode == 0


def lambda_support(interpreter: Interpreter) -> Path | None:
    """A directory holding awslambdaric and boto3 for ``interpreter``, installing them when missing.

    Returns None when the interpreter already imports both (the current virtualenv does)."""
    if interpreter.path == sys.executable and _importable(sys.executable, "awslambdaric"):
        return None
    target = cache_root() / "lambda-runtime" / f"{interpreter.version}-{_packages_key()}"
    marker = target / ".complete"
    if marker.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    print(
        f"localcloud: installing {', '.join(LAMBDA_RUNTIME_PACKAGES)} for Python {interpreter.version} "
        f"into {target} (once)",
        flush=True,
    )
    cmd = [interpreter.path, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-input"]
    cmd += ["--target", str(staging), *LAMBDA_RUNTIME_PACKAGES]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
    if done.returncode != 0 or not _importable(interpreter.path, "awslambdaric", staging):
        shutil.rmtree(staging, ignore_errors=True)
        raise InterpreterError(
            f"could not install {' '.join(LAMBDA_RUNTIME_PACKAGES)} for {interpreter.path}: "
            f"{(done.stderr or done.stdout).strip()[-2000:]}"
        )
    (staging / ".complete").write_text("ok\n")
    try:
        staging.rename(target)
    except OSError:  # another process finished first: keep its copy
        shutil.rmtree(staging, ignore_errors=True)
    return target


def _packages_key() -> str:
    import hashlib

    return hashlib.sha256("\n".join(LAMBDA_RUNTIME_PACKAGES).encode()).hexdigest()[:10]
