"""From a mock deployment to a runnable function: the exact zip, handler and environment the
program produced, unpacked the way each platform unpacks it."""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pulumi_harness import Deployment, Registered, resolve

from components import packaging
from components.paths import FUNCTIONS_DIR, SHARED_LIBRARY_DIR, build_cache_dir
from localcloud.program import SIG_KEY as SECRET_SIG  # the wire key that marks a secret value


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
    found = unpack_function(deployment, component.logical_name, dest)
    assert found.function_name == resolve(component.function_name)
    return found


def unpack_function(deployment: Deployment, logical_name: str, dest: Path) -> Deployed:
    """The function resource ``logical_name`` as deployed: the very code the resource received
    (Lambda's archive or S3 object, checked against its ``source_code_hash``; FC's OSS object,
    checked against the content hash in its key),
    unzipped to ``dest``, with its handler, runtime and environment."""
    import base64
    import hashlib
    import io

    dest.mkdir(parents=True, exist_ok=True)
    if deployment.cloud == "aws":
        fn = deployment.one("aws:lambda/function:Function", logical_name)
        data = deployed_zip(deployment, fn).read_bytes()
        assert base64.b64encode(hashlib.sha256(data).digest()).decode() == fn.inputs["sourceCodeHash"]
        env = fn.inputs.get("environment", {}).get("variables", {})
        name = fn.inputs["name"]
    else:
        fn = deployment.one("alicloud:fc/v3Function:V3Function", logical_name)
        data = deployed_zip(deployment, fn).read_bytes()
        # The object is named by its content: the key the function names ends with its SHA-256.
        assert fn.inputs["code"]["ossObjectName"].endswith(f"/{hashlib.sha256(data).hexdigest()}.zip")
        env = fn.inputs.get("environmentVariables", {})
        name = fn.inputs["functionName"]
    if isinstance(env, dict) and SECRET_SIG in env:  # a secret map (a database password in it)
        env = env["value"]
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        zf.extractall(dest)
    return Deployed(dest, fn.inputs["handler"], {k: str(v) for k, v in env.items()}, name, fn.inputs["runtime"])


# What may differ between the cloud and this machine: where services are, and who calls them.
# Everything else in a deployed environment reaches the local invocation unchanged.
_LOCAL_ONLY = re.compile(
    r"^(?:(?:BUCKET|QUEUE|TOPIC)_[A-Z0-9_]+_(?:ENDPOINT|URL)"
    r"|DB_[A-Z0-9_]+_(?:HOST|PORT|PASSWORD|SSLMODE)"
    r"|AWS_ENDPOINT_URL(?:_[A-Z0-9_]+)?"
    r"|AWS_(?:ACCESS_KEY_ID|SECRET_ACCESS_KEY|SESSION_TOKEN))$"
)


def pointed_at_local(env: dict[str, str], **local: str) -> dict[str, str]:
    """The deployed ``env`` with only endpoints and credentials replaced by ``local``'s."""
    other = sorted(k for k in local if not _LOCAL_ONLY.match(k))
    assert not other, f"only endpoints and credentials may be rewritten for a local run, not {other}"
    return {**env, **local}


RUNTIME_KEY = {"aws": "lambdaRuntime", "ali": "fcRuntime"}


def deploy_function(
    cloud: str, program: Callable[..., Any], logical_name: str, dest: Path, runtime: str, config: dict | None = None
) -> Deployed:
    """Deploy ``program`` under mocks for ``runtime`` and unpack its function ``logical_name``."""
    from pulumi_harness import deploy

    d = deploy(cloud, program, {**(config or {}), RUNTIME_KEY[cloud]: runtime})
    found = unpack_function(d, logical_name, dest)
    assert found.runtime == runtime and found.handler == f"entry_{cloud}.handler"
    return found
