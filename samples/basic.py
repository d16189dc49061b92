"""basic: logs "hello world" and the Python version, returns "hello world"."""

from __future__ import annotations

from typing import Any

from components.app import Application
from components.function import FunctionArgs, ServerlessFunction
from samples.registry import sample


@sample("basic")
def build(app: Application) -> dict[str, Any]:
    fn = ServerlessFunction(
        "basic",
        FunctionArgs(code="basic", description="Logs hello world and the Python version"),
    )
    return {"functions": {"basic": fn.function_name}}
