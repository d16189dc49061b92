"""From a mock deployment to a runnable function: the exact zip, handler and environment the
program produced, unpacked the way each platform unpacks it."""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

from pulumi_harness import Deployment, resolve


@dataclass(frozen=True)
class Deployed:
    code_dir: Path
    handler: str
    env: dict[str, str]
    function_name: str
    runtime: str


def unpack(deployment: Deployment, component, dest: Path) -> Deployed:
    """``component`` is the ServerlessFunction the program returned."""
    dest.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(component.artifact.path) as zf:
        zf.extractall(dest)
    name = resolve(component.function_name)
    if deployment.cloud == "aws":
        fn = deployment.one("aws:lambda/function:Function", component.logical_name)
        env = fn.inputs.get("environment", {}).get("variables", {})
    else:
        fn = deployment.one("alicloud:fc/v3Function:V3Function", component.logical_name)
        env = fn.inputs.get("environmentVariables", {})
    return Deployed(dest, fn.inputs["handler"], {k: str(v) for k, v in env.items()}, name, fn.inputs["runtime"])
