"""Evaluates the adopter's program (``__main__.py`` in the current directory) under Pulumi's
mocks, as ``pulumi preview`` would, and prints what was registered as JSON on stdout.

Runs with the fresh virtualenv's interpreter, outside this repository: nothing here may come
from the repository's checkout.
"""

from __future__ import annotations

import importlib.util
import json
import runpy
import sys
import zipfile
from typing import Any

import pulumi
from pulumi.runtime.stack import wait_for_rpcs
from pulumi.runtime.sync_await import _sync_await

CLOUD = sys.argv[1]
ACCOUNT = {"aws": "123456789012", "ali": "5939306421830868"}[CLOUD]


class Mocks(pulumi.runtime.Mocks):
    def __init__(self) -> None:
        self.resources: list[tuple[str, str, dict[str, Any]]] = []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        self.resources.append((args.typ, args.name, dict(args.inputs)))
        state = dict(args.inputs)
        state.setdefault("arn", f"arn:mock:{args.typ}:{args.name}")
        state.setdefault("functionArn", f"acs:fc:cn-hangzhou:{ACCOUNT}:functions/{args.name}")
        return f"{args.name}-id", state

    def call(self, args: pulumi.runtime.MockCallArgs) -> dict[str, Any]:
        return {"accountId": ACCOUNT, "id": ACCOUNT, "arn": f"arn:aws:iam::{ACCOUNT}:user/t", "userId": "U"}


def zip_names(inputs: dict[str, Any]) -> list[str]:
    if CLOUD == "aws":
        archive = inputs["code"]
        with zipfile.ZipFile(archive.path) as zf:
            return zf.namelist()
    # FC code is an object of the stack's artifact bucket (components/artifacts.py): its source file.
    code = inputs["code"]
    (obj,) = [
        i
        for t, _, i in mocks.resources
        if t == "alicloud:oss/bucketObject:BucketObject"
        and (i["bucket"], i["key"]) == (code["ossBucketName"], code["ossObjectName"])
    ]
    with zipfile.ZipFile(obj["source"]) as zf:
        return zf.namelist()


mocks = Mocks()
pulumi.runtime.set_mocks(mocks, project="adopter", stack=CLOUD, preview=False)
region = {"aws": {"aws:region": "us-east-1"}, "ali": {"alicloud:region": "cn-hangzhou"}}[CLOUD]
pulumi.runtime.set_all_config({"adopter:cloud": CLOUD, **region})
runpy.run_path("__main__.py", run_name="__main__")
_sync_await(wait_for_rpcs())

fn_type = {"aws": "aws:lambda/function:Function", "ali": "alicloud:fc/v3Function:V3Function"}[CLOUD]
functions = {
    name: {"handler": inputs["handler"], "runtime": inputs["runtime"], "zip": zip_names(inputs)}
    for typ, name, inputs in mocks.resources
    if typ == fn_type
}
where = {m: importlib.util.find_spec(m).origin for m in ("components", "cloudfn", "cloudfn.testing")}
json.dump({"functions": functions, "types": sorted({t for t, _, _ in mocks.resources}), "where": where}, sys.stdout)
