"""A cache of the program's evaluation, so a warm start does not import Pulumi and re-run the program.

The key is every input of ``topology.load``: the cloud, samples and config, and the content
signature (path, size, mtime) of the program (``__main__.py``, ``Pulumi*.yaml``, ``components/``,
``functions/``) and of the evaluator itself (``localcloud/program.py``, ``topology.py``). Any change
evaluates the program again. An entry whose artifacts are gone is ignored. The cache lives beside
the build output (``.build/localcloud/``); ``LOCALCLOUD_NO_CACHE=1`` turns it off.
"""

from __future__ import annotations

import hashlib
import os
import pickle
from collections.abc import Callable
from pathlib import Path
from typing import Any

from components.files import replace_file

_SOURCES = ("__main__.py", "components", "functions", "localcloud/program.py", "localcloud/topology.py")
_SKIP_DIRS = {"__pycache__", ".pytest_cache", ".git", ".venv", "venv", ".build"}


def _files(root: Path) -> list[Path]:
    out = []
    for name in _SOURCES:
        path = root / name
        if path.is_file():
            out.append(path)
        elif path.is_dir():
            for dirpath, dirnames, filenames in os.walk(path):
                dirnames[:] = sorted(d for d in dirnames if d not in _SKIP_DIRS)
                out += [Path(dirpath) / f for f in sorted(filenames)]
    out += sorted(root.glob("Pulumi*.yaml"))
    return out


def key(cloud: str, samples: list[str] | None, config: dict[str, object] | None, project_dir: Path) -> str:
    digest = hashlib.sha256(repr((cloud, sorted(samples or []), sorted((config or {}).items()))).encode())
    local = Path(__file__).resolve().parent.parent
    for root in {project_dir.resolve(), local}:
        for path in _files(root):
            st = path.stat()
            digest.update(f"{path}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    return digest.hexdigest()[:32]


def load(
    cloud: str,
    samples: list[str] | None,
    config: dict[str, object] | None,
    project_dir: Path,
    evaluate: Callable[[], Any],
    cache_dir: Path,
) -> tuple[Any, bool]:
    """``(topology, from_cache)``."""
    if os.environ.get("LOCALCLOUD_NO_CACHE"):
        return evaluate(), False
    path = cache_dir / f"topology-{key(cloud, samples, config, project_dir)}.pickle"
    if path.exists():
        try:
            topo = pickle.loads(path.read_bytes())
            if all(Path(f.artifact).is_file() for f in topo.functions.values()):
                return topo, True
        except Exception:  # a corrupt or incompatible entry is just a miss
            pass
    topo = evaluate()
    cache_dir.mkdir(parents=True, exist_ok=True)
    replace_file(path, pickle.dumps(topo))
    return topo, False
