"""From a mock deployment to a runnable function: the exact zip, handler and environment the
program produced, unpacked the way each platform unpacks it."""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

from pulumi_harness import Deployment, Registered, resolve

from components import packaging
from components.paths import FUNCTIONS_DIR, SHARED_LIBRARY_DIR, build_cache_dir


def build_unpacked(function: str, target: packaging.Target, dest: Path) -> Path:
    """Package ``functions/<function>`` for ``target`` and unzip it to ``dest``, as the platform does."""
    artifact = packaging.build(FUNCTIONS_DIR / function, SHARED_LIBRARY_DIR, target, build_cache_dir())
    with zipfile.ZipFile(artifact.path) as zf:
        zf.extractall(dest)
    return dest


def deployed_zip(deployment: Deployment, fn: Registered) -> Path:
    """The zip the mock deployment hands the platform: Lambda's FileArchive, or the artifact
    bucket's object the function's code names (S3 on AWS, OSS on Alibaba Cloud)."""
    if deployment.cloud == "aws":
        if "code" in fn.inputs:
            return Path(fn.inputs["code"].path)
        bucket, key = fn.inputs["s3Bucket"], fn.inputs["s3Key"]
        typ = "aws:s3/bucketObjectv2:BucketObjectv2"
    else:
        bucket, key = fn.inputs["code"]["ossBucketName"], fn.inputs["code"]["ossObjectName"]
        typ = "alicloud:oss/bucketObject:BucketObject"
    (obj,) = [o for o in deployment.of_type(typ) if (o.inputs["bucket"], o.inputs["key"]) == (bucket, key)]
    source = obj.inputs["source"]
    return Path(getattr(source, "path", source))


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
    name = resolve(component.function_name)
    if deployment.cloud == "aws":
        fn = deployment.one("aws:lambda/function:Function", component.logical_name)
        env = fn.inputs.get("environment", {}).get("variables", {})
    else:
        fn = deployment.one("alicloud:fc/v3Function:V3Function", component.logical_name)
        env = fn.inputs.get("environmentVariables", {})
    with zipfile.ZipFile(deployed_zip(deployment, fn)) as zf:
        zf.extractall(dest)
    return Deployed(dest, fn.inputs["handler"], {k: str(v) for k, v in env.items()}, name, fn.inputs["runtime"])
