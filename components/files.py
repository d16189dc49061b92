"""Writing a cache file so that readers see the old content or the new, never half of either
(a leaf module: the build cache's sidecars and kept results use it)."""

from __future__ import annotations

import os
from pathlib import Path


def replace_file(path: Path, data: str | bytes) -> None:
    """Write ``data`` to a file beside ``path`` named after this process, then rename it over
    ``path``: concurrent programs (two stacks, a test run) each leave a whole file."""
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    if isinstance(data, bytes):
        tmp.write_bytes(data)
    else:
        tmp.write_text(data)
    tmp.replace(path)
