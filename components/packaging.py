"""Builds each function's deployment zip: its own folder, the shared library, its dependencies.

Guarantees:
- **Exactly** those three things: no tests, caches, ``__pycache__``, requirement files, other
  functions or the library's test fakes (``cloudfn.testing``).
- **Deterministic**: entries sorted, timestamps pinned to 1980-01-01, permissions normalised and
  the same compression everywhere, so an unchanged function never shows a diff, whatever the
  checkout path or file mtimes.
- **Cached by content**: the zip's name is the hash of everything that goes into it (sources,
  requirements, target), so an unchanged rebuild only re-hashes the sources. Dependencies are
  installed once per (requirements, target) into their own cache folder.
- **Built for the target**, not for this machine: PEP 508 markers are evaluated for the target
  Python (``pillow==12.3.0; python_version < "3.11"``), then ``pip install --platform manylinux_* x86_64
  --python-version X.Y --implementation cp --only-binary=:all:``. Both Lambda and FC run only
  x86_64 here (FC has no arm64). The manylinux tags offered to pip stop at the glibc of the
  target's image (:data:`RUNTIME_GLIBC`), so a wheel needing a newer glibc is never picked: it
  would install, then fail to load on the platform.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from components.files import replace_file

BUILDER_VERSION = "1"  # bump when the zip layout changes, to invalidate every cached artifact
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
# glibc of each runtime's image: the newest manylinux tag its wheels may carry.
# - Lambda python3.12 and later run on Amazon Linux 2023, glibc 2.34 (AWS Lambda "Lambda
#   runtimes" table; AL2023 release notes list glibc 2.34).
# - FC 3.0 python3.10 runs on Debian 10 (glibc 2.28), python3.12 on Debian 11 (glibc 2.31)
#   (Function Compute "Runtime overview" lists each runtime's OS).
RUNTIME_GLIBC: dict[tuple[str, str], tuple[int, int]] = {
    ("aws", "3.12"): (2, 34),
    ("aws", "3.13"): (2, 34),
    ("aws", "3.14"): (2, 34),
    ("ali", "3.10"): (2, 28),
    ("ali", "3.12"): (2, 31),
}
# For a runtime not in the table (a test targeting this interpreter): the oldest image above.
DEFAULT_GLIBC = min(RUNTIME_GLIBC.values())
# PEP 600 tags and the legacy aliases (PEP 513/571/599) of the glibc versions they stand for.
_LEGACY_MANYLINUX = {(2, 17): "manylinux2014", (2, 12): "manylinux2010", (2, 5): "manylinux1"}


def manylinux_platforms(glibc: tuple[int, int]) -> tuple[str, ...]:
    """Every x86_64 manylinux tag a system with ``glibc`` runs, newest first (what pip would
    compute on that system itself)."""
    major, newest = glibc
    tags: list[str] = []
    for minor in range(newest, 4, -1):
        tags.append(f"manylinux_{major}_{minor}_x86_64")
        if (major, minor) in _LEGACY_MANYLINUX:
            tags.append(f"{_LEGACY_MANYLINUX[(major, minor)]}_x86_64")
    return tuple(tags)


EXCLUDED_DIRS = frozenset(
    {
        "__pycache__",
        "tests",
        "test",
        ".pytest_cache",
        ".mypy_cache",
        ".ruff_cache",
        ".git",
        "bin",  # console-script launchers pip writes with this machine's interpreter path
    }
)
EXCLUDED_FILES = frozenset({"conftest.py", ".DS_Store"})
SHARED_LIBRARY = "cloudfn"
# Test support installed with the library for users' tests (the in-memory fakes), never deployed.
SHARED_TEST_ONLY = "testing"


class PackagingError(Exception):
    """The function cannot be packaged; the message says which file or requirement and why."""


@dataclass(frozen=True)
class Target:
    cloud: str
    python: str  # "3.12"
    glibc: tuple[int, int] = DEFAULT_GLIBC

    @classmethod
    def for_runtime(cls, cloud: str, runtime: str) -> Target:
        if not runtime.startswith("python3."):
            raise PackagingError(f"runtime {runtime!r} is not a Python runtime")
        python = runtime.removeprefix("python")
        return cls(cloud=cloud, python=python, glibc=RUNTIME_GLIBC.get((cloud, python), DEFAULT_GLIBC))

    @property
    def platforms(self) -> tuple[str, ...]:
        return manylinux_platforms(self.glibc)

    @property
    def key(self) -> str:
        return f"{self.cloud}-cp{self.python.replace('.', '')}-{'+'.join(self.platforms)}"


@dataclass(frozen=True)
class Artifact:
    path: Path
    sha256_hex: str
    files: tuple[str, ...]
    cached: bool

    @property
    def sha256_b64(self) -> str:
        """What Lambda's ``source_code_hash`` compares against."""
        return base64.b64encode(bytes.fromhex(self.sha256_hex)).decode()

    def base64(self) -> str:
        """The inline form FC 3.0 takes in ``code.zipFile``."""
        return _base64_of(self.path, self.sha256_hex)


@functools.lru_cache(maxsize=64)
def _base64_of(path: Path, sha256_hex: str) -> str:
    return base64.b64encode(path.read_bytes()).decode()


def _included(root: Path) -> Iterator[tuple[str, Path]]:
    """(archive name, path) of every file under ``root`` that belongs in a package, sorted."""
    # Archive names are built from strings per directory: Path.relative_to per file was a
    # measurable share of evaluating a program with many functions.
    top = os.fspath(root)
    for dirpath, dirnames, filenames in os.walk(top):
        dirnames[:] = sorted(d for d in dirnames if d not in EXCLUDED_DIRS and not d.startswith("."))
        rel = os.path.relpath(dirpath, top).replace(os.sep, "/")
        prefix = "" if rel == "." else rel + "/"
        for name in sorted(filenames):
            if (
                name in EXCLUDED_FILES
                or name.startswith(".")
                or name.endswith((".pyc", ".pyo"))
                or (name.startswith("test_") and name.endswith(".py"))
                or name.endswith("_test.py")
            ):
                continue
            yield prefix + name, Path(dirpath, name)


def _test_only(arc: str) -> bool:
    """``cloudfn/testing.py`` (or a ``testing/`` package): for tests, never in a zip."""
    return arc == f"{SHARED_TEST_ONLY}.py" or arc.startswith(f"{SHARED_TEST_ONLY}/")


def requirement_files(function_dir: Path, cloud: str) -> list[Path]:
    """``requirements.txt`` (both clouds) then ``requirements.<cloud>.txt``, where present."""
    return [p for p in (function_dir / "requirements.txt", function_dir / f"requirements.{cloud}.txt") if p.is_file()]


def _function_files(function_dir: Path) -> Iterator[tuple[str, Path]]:
    for arc, path in _included(function_dir):
        if "/" not in arc and arc.startswith("requirements") and arc.endswith(".txt"):
            continue
        yield arc, path


# Per process: (path, size, mtime_ns, inode) -> sha256 of the file. Every function's zip holds the
# shared library, so one program run would otherwise read and hash it once per function. Keyed on
# the stat signature, so a file changed during the run (a test writing code) is hashed again.
_FILE_HASHES: dict[tuple[str, int, int, int], bytes] = {}


def _file_hash(path: Path) -> bytes:
    st = path.stat()
    key = (str(path), st.st_size, st.st_mtime_ns, st.st_ino)
    found = _FILE_HASHES.get(key)
    if found is None:
        found = _FILE_HASHES[key] = hashlib.sha256(path.read_bytes()).digest()
    return found


def _hash_tree(digest: hashlib._Hash, entries: list[tuple[str, Path]]) -> None:
    for arc, path in entries:
        digest.update(arc.encode() + b"\0")
        digest.update(_file_hash(path))


def _target_environment(target: Target) -> dict[str, str]:
    """PEP 508 marker values of the target runtime (pip would use this machine's instead)."""
    return {
        "python_version": target.python,
        "python_full_version": f"{target.python}.0",
        "implementation_name": "cpython",
        "platform_python_implementation": "CPython",
        "platform_machine": "x86_64",
        "platform_system": "Linux",
        "sys_platform": "linux",
        "os_name": "posix",
    }


def _for_target(line: str, target: Target, source: Path) -> str | None:
    """The requirement without its marker if the marker holds on the target, else ``None``."""
    from packaging.requirements import InvalidRequirement, Requirement

    try:
        req = Requirement(line)
    except InvalidRequirement as exc:
        raise PackagingError(f"{source}: {line!r} is not a valid requirement: {exc}") from exc
    if req.marker is not None and not req.marker.evaluate(_target_environment(target)):
        return None
    req.marker = None
    return str(req)


def _requirements_text(files: list[Path], target: Target, cache_dir: Path | None = None) -> str:
    """The requirements that apply on ``target``, markers evaluated and dropped.

    With ``cache_dir``, the result is kept under ``requirements/`` by a hash of the files' names
    and texts and the target: an unchanged function's next run reads it back instead of
    importing ``packaging`` and parsing every line again (a visible share of a warm run). Only a
    successful evaluation is kept, so a bad line is refused on every run.
    """
    texts = [(f, f.read_text()) for f in files]
    cached = None
    if cache_dir is not None and texts:
        digest = hashlib.sha256(f"{BUILDER_VERSION}\n{target.key}\n".encode())
        for f, text in texts:
            digest.update(f"{f.name}\0{text}\0".encode())
        cached = cache_dir / "requirements" / f"{digest.hexdigest()[:32]}.txt"
        try:
            return cached.read_text()
        except OSError:
            pass
    result = _select_requirements(texts, target)
    if cached is not None:
        cached.parent.mkdir(parents=True, exist_ok=True)
        replace_file(cached, result)
    return result


def _select_requirements(texts: list[tuple[Path, str]], target: Target) -> str:
    lines: list[str] = []
    for f, text in texts:
        for raw in text.splitlines():
            line = raw.split("#", 1)[0].strip()
            if line:
                if line.startswith(("-e", "--editable", "-r", "--requirement", "file:", ".", "/")):
                    raise PackagingError(
                        f"{f}: {line!r} is not allowed; declare published packages by name "
                        "(wheels are installed for the target platform, not this machine)"
                    )
                selected = _for_target(line, target, f)
                if selected:
                    lines.append(selected)
    return "\n".join(lines)


def install_dependencies(requirements: str, target: Target, cache_dir: Path) -> Path | None:
    """Install ``requirements`` for ``target`` into a cached folder and return it."""
    if not requirements:
        return None
    key = hashlib.sha256(f"{target.key}\n{requirements}".encode()).hexdigest()[:24]
    dest = cache_dir / "deps" / key
    if dest.is_dir():
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f"{key}.", dir=dest.parent))
    req_file = staging.with_suffix(".txt")
    req_file.write_text(requirements + "\n")
    cmd = [
        sys.executable,
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        "--no-compile",
        "--target",
        str(staging),
        "--implementation",
        "cp",
        "--python-version",
        target.python,
        "--only-binary=:all:",
        "-r",
        str(req_file),
    ]
    for platform in target.platforms:
        cmd += ["--platform", platform]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    req_file.unlink(missing_ok=True)
    if proc.returncode != 0:
        shutil.rmtree(staging, ignore_errors=True)
        raise PackagingError(
            f"pip could not install {requirements!r} as x86_64 manylinux wheels for CPython "
            f"{target.python} ({target.cloud}, glibc <= {target.glibc[0]}.{target.glibc[1]}); a package "
            f"with no such wheel cannot run on the target. pip said:\n{proc.stderr.strip()[-2000:]}"
        )
    try:
        staging.rename(dest)
    except OSError:  # another build won the race; its result is identical
        shutil.rmtree(staging, ignore_errors=True)
    return dest


def _zip_metadata(path: Path) -> tuple[str, tuple[str, ...]]:
    """The zip's sha256 and entry names, from its sidecar when that still describes it.

    A cached zip is never rewritten (its name is its inputs' hash), so the sidecar written next
    to it saves re-reading megabytes of dependencies on every run; a sidecar whose recorded size
    disagrees with the zip (or that is unreadable) is ignored and rewritten.
    """
    sidecar = path.with_name(path.name + ".json")
    size = path.stat().st_size
    try:
        meta = json.loads(sidecar.read_text())
        if meta["size"] == size and len(meta["sha256"]) == 64:
            return meta["sha256"], tuple(meta["files"])
    except (OSError, ValueError, KeyError, TypeError):
        pass
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    with zipfile.ZipFile(path) as zf:
        names = tuple(zf.namelist())
    replace_file(sidecar, json.dumps({"size": size, "sha256": sha, "files": names}))
    return sha, names


def _write_zip(path: Path, entries: list[tuple[str, Path]]) -> None:
    tmp = path.with_name(path.name + f".{os.getpid()}.tmp")
    with zipfile.ZipFile(tmp, "w") as zf:
        for arc, src in entries:
            info = zipfile.ZipInfo(arc, date_time=ZIP_EPOCH)
            info.create_system = 3  # unix, so external_attr means the same everywhere
            info.external_attr = 0o100644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, src.read_bytes(), compresslevel=6)
    tmp.replace(path)


def build(function_dir: Path, shared_dir: Path, target: Target, cache_dir: Path) -> Artifact:
    """Package one function for one target, reusing a cached zip when nothing changed."""
    if not function_dir.is_dir():
        raise PackagingError(f"function code folder {function_dir} does not exist")
    own = list(_function_files(function_dir))
    shared = [(f"{SHARED_LIBRARY}/{arc}", p) for arc, p in _included(shared_dir) if not _test_only(arc)]
    clash = sorted({a.split("/")[0] for a, _ in own} & {SHARED_LIBRARY})
    if clash:
        raise PackagingError(f"{function_dir} must not contain {clash[0]!r}: that name is the shared library")
    requirements = _requirements_text(requirement_files(function_dir, target.cloud), target, cache_dir)

    digest = hashlib.sha256(f"{BUILDER_VERSION}\n{target.key}\n{requirements}\n".encode())
    _hash_tree(digest, own + shared)
    key = digest.hexdigest()[:32]
    out = cache_dir / "artifacts" / f"{function_dir.name}-{key}.zip"
    memo = _BUILT.get(out)
    if memo is not None and out.is_file():
        return memo
    if not out.is_file():
        deps_dir = install_dependencies(requirements, target, cache_dir)
        deps = list(_included(deps_dir)) if deps_dir else []
        entries: dict[str, Path] = {}
        # Own code wins over a dependency of the same name only if nobody notices: refuse.
        for arc, p in deps + shared + own:
            if arc in entries:
                raise PackagingError(f"{arc} is provided twice (by the function and a dependency)")
            entries[arc] = p
        out.parent.mkdir(parents=True, exist_ok=True)
        _write_zip(out, sorted(entries.items()))
        cached = False
    else:
        cached = True
    sha, names = _zip_metadata(out)
    artifact = Artifact(path=out, sha256_hex=sha, files=names, cached=cached)
    # The zip's name is its inputs' hash, so its metadata never changes: read it once per process.
    _BUILT[out] = Artifact(path=out, sha256_hex=sha, files=names, cached=True)
    return artifact


_BUILT: dict[Path, Artifact] = {}
