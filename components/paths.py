"""Where the program finds function code and the shared library, and keeps build output.

Two layouts, one rule each:
- **the program's own code**: ``functions/<folder>`` and ``.build/`` live in the *program's*
  project directory, the one holding ``Pulumi.yaml`` (``pulumi.get_root_directory()``; under
  mocks, where the engine sets none, the current directory). ``CLOUDFN_PROJECT_DIR`` overrides it.
- **the shared library** ``cloudfn``, shipped in every zip, comes with this library: beside the
  ``components`` package when installed from the wheel (``multicloud-serverless``), or at
  ``functions/cloudfn`` in a source checkout of this repository.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pulumi

PACKAGE_DIR = Path(__file__).resolve().parent
SHARED_LIBRARY = "cloudfn"


def shared_library_dir() -> Path:
    """The ``cloudfn`` folder that goes into every zip (installed beside us, or the checkout's)."""
    for candidate in (PACKAGE_DIR.parent / SHARED_LIBRARY, PACKAGE_DIR.parent / "functions" / SHARED_LIBRARY):
        if (candidate / "__init__.py").is_file():
            return candidate
    raise FileNotFoundError(
        f"the shared library {SHARED_LIBRARY!r} is neither beside {PACKAGE_DIR} (an installed "
        f"multicloud-serverless) nor in {PACKAGE_DIR.parent / 'functions'} (a source checkout)"
    )


def project_dir() -> Path:
    """The program's directory: ``$CLOUDFN_PROJECT_DIR``, else Pulumi.yaml's, else the current one."""
    override = os.environ.get("CLOUDFN_PROJECT_DIR")
    if override:
        return Path(override).resolve()
    root = pulumi.get_root_directory()
    # Pulumi's mocks report a placeholder root; only a directory holding the project file counts.
    if root and any((Path(root) / name).is_file() for name in ("Pulumi.yaml", "Pulumi.yml")):
        return Path(root).resolve()
    return Path.cwd().resolve()


def functions_dir() -> Path:
    """``functions/`` of the program being deployed: one folder per function."""
    return project_dir() / "functions"


def build_cache_dir() -> Path:
    """``.build/`` beside the program, or ``$CLOUDFN_BUILD_DIR`` (tests use a temp dir)."""
    return _build_cache(project_dir())


def _build_cache(project: Path) -> Path:
    override = os.environ.get("CLOUDFN_BUILD_DIR")
    return Path(override) if override else project / ".build"


@dataclass(frozen=True)
class ProgramPaths:
    """The directories above, resolved once for one program run (``Application.paths``): each
    function would otherwise resolve them again, a few ``stat`` calls each time."""

    project: Path
    functions: Path
    build_cache: Path
    shared_library: Path

    @classmethod
    def now(cls) -> ProgramPaths:
        project = project_dir()
        return cls(
            project=project,
            functions=project / "functions",
            build_cache=_build_cache(project),
            shared_library=shared_library_dir(),
        )


# This repository's own layout (source checkout), for its tests and benchmarks.
ROOT = PACKAGE_DIR.parent
FUNCTIONS_DIR = ROOT / "functions"
SHARED_LIBRARY_DIR = FUNCTIONS_DIR / SHARED_LIBRARY
