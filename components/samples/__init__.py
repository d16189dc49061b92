"""The tutorial's samples, each composed from the neutral components in its own module.

``compose(app)`` builds the samples the stack's ``samples`` setting selects (all by default)
and returns the stack outputs.
"""

from __future__ import annotations

import importlib
from typing import Any

from components.app import Application


def compose(app: Application) -> dict[str, Any]:
    outputs: dict[str, Any] = {}
    functions: dict[str, Any] = {}
    for sample in app.settings.samples:
        module = importlib.import_module(f"components.samples.{sample}")
        result = module.build(app)
        functions.update({f"{sample}.{k}": v for k, v in result.pop("functions", {}).items()})
        outputs.update({f"{sample}.{k}": v for k, v in result.items()})
    outputs["functions"] = functions
    outputs["cloud"] = app.cloud
    return outputs
