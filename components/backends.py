"""How a cloud package lists its backends (a leaf module: it names no neutral module).

Each cloud package (``components.aws``, ``components.ali``) has one module per component kind
defining ``BACKEND``, the object providing the contract the neutral module declares
(``BucketBackend`` in ``components.bucket``, ...). ``Application`` picks the package once, by the
stack's ``cloud``.
"""

from __future__ import annotations

import importlib
from typing import Any

# Component kind (what ``app.backend(kind)`` is asked for) -> the backend module's name.
KINDS = {
    "ServerlessFunction": "function",
    "Bucket": "bucket",
    "Queue": "queue",
    "Topic": "topic",
    "Schedule": "schedule",
    "PgDatabase": "database",
    "ArtifactStore": "artifacts",
}


def collect(package: str) -> dict[str, Any]:
    """``{kind: BACKEND}`` of every backend module of ``package``."""
    return {kind: importlib.import_module(f"{package}.{module}").BACKEND for kind, module in KINDS.items()}
