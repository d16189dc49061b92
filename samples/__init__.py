"""The application: the tutorial's samples, each composed from the library's components.

Each module of this package registers one sample with ``@sample("<name>")`` (see
``samples.registry``). ``__main__.py`` passes the registered names to ``Application.load``, which
validates the ``samples`` setting against them before any resource exists; ``compose(app)``
builds the selected samples (all by default) and returns the stack outputs.
"""

from __future__ import annotations

from typing import Any

from components.app import Application
from samples.registry import registered, sample

__all__ = ["compose", "registered", "sample"]


def compose(app: Application) -> dict[str, Any]:
    builds = registered()
    outputs: dict[str, Any] = {}
    functions: dict[str, Any] = {}
    for name in app.settings.samples:
        result = builds[name](app)
        functions.update({f"{name}.{k}": v for k, v in result.pop("functions", {}).items()})
        outputs.update({f"{name}.{k}": v for k, v in result.items()})
    outputs["functions"] = functions
    outputs["cloud"] = app.cloud
    return outputs
