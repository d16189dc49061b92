"""From a mock deployment to a runnable function: the exact zip, handler and environment the
program produced, unpacked the way each platform unpacks it."""

from __future__ import annotations

import base64
import io
import zipfile
from dataclasses import dataclass
from pathlib import Path

from pulumi_harness import Deployment, resolve

from components import packaging
from components.paths import FUNCTIONS_DIR, SHARED_LIBRARY_DIR, build_cache_dir


def build_unpacked(function: str, target: packaging.Target, dest: Path) -> Path:
    """Package ``functions/<function>`` for ``target`` and unzip it to ``dest``, as the platform does."""
    artifact = packaging.build(FUNCTIONS_DIR / function, SHARED_LIBRARY_DIR, target, build_cache_dir())
    with zipfile.ZipFile(artifact.path) as zf:
        zf.extractall(dest)
    return dest


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


def unpack_function(deployment: Deployment, logical_name: str, dest: Path) -> Deployed:
    """The function registered as ``logical_name``, from what the deployment itself holds: the
    Lambda's ``code`` archive or FC's ``code.zipFile`` (for a function a sample created, where
    the test has no handle on the component)."""
    dest.mkdir(parents=True, exist_ok=True)
    if deployment.cloud == "aws":
        fn = deployment.one("aws:lambda/function:Function", logical_name)
        source = fn.inputs["code"].path
        env = fn.inputs.get("environment", {}).get("variables", {})
        name = fn.inputs["name"]
    else:
        fn = deployment.one("alicloud:fc/v3Function:V3Function", logical_name)
        source = io.BytesIO(base64.b64decode(fn.inputs["code"]["zipFile"]))
        env = fn.inputs.get("environmentVariables", {})
        name = fn.inputs["functionName"]
    with zipfile.ZipFile(source) as zf:
        zf.extractall(dest)
    return Deployed(dest, fn.inputs["handler"], {k: str(v) for k, v in env.items()}, name, fn.inputs["runtime"])
