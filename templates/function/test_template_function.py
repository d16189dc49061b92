"""template_function: its logic on the fakes, then its sample deployed under Pulumi's mocks, the
zip unpacked and invoked as Lambda (awslambdaric) and Function Compute invoke it, under the
runtime's own interpreter (tests/runtimes.py).

Generated from templates/function; lives in tests/ (never in the function's zip).
"""

from __future__ import annotations

import importlib
import json

import pytest
from deployed import unpack_function
from events.load import ali_event, aws_event
from pulumi_harness import deploy
from runtimes import on_fc, on_lambda

from cloudfn.events import objects
from cloudfn.testing import invocation
from samples import compose

SAMPLE = "template_function"  # the sample (samples/template_function.py) that deploys it
NAME = "template-function"  # its logical name: '-' where the folder has '_'
# Its logic module, functions/template_function/template_function.py: tests/conftest.py puts each
# function's folder on sys.path, as its zip does.
logic = importlib.import_module("template_function")


def test_logic_summarizes_each_new_object() -> None:
    records = objects.from_aws(aws_event("s3_put.json"))
    assert logic.summarize(records, invocation()) == {
        "count": len(records),
        "objects": [{"key": r.key, "size": r.size} for r in records],
    }


def object_subscriptions(deployment, function_name: str) -> list[str]:
    """The key prefixes of the object-created subscriptions that invoke the function."""
    if deployment.cloud == "aws":
        return [
            sub.get("filterPrefix", "")
            for note in deployment.of_type("aws:s3/bucketNotification:BucketNotification")
            for sub in note.inputs["lambdaFunctions"]
            if sub["lambdaFunctionArn"].endswith(f":function:{function_name}")
        ]
    return [
        trigger.json("triggerConfig")["filter"]["key"]["prefix"]
        for trigger in deployment.of_type("alicloud:fc/v3Trigger:V3Trigger")
        if trigger.inputs["functionName"] == function_name and trigger.inputs["triggerType"] == "oss"
    ]


@pytest.mark.parametrize("cloud", ["aws", "ali"])
def test_deployed_then_invoked_as_the_platform_does(cloud: str, tmp_path) -> None:
    deployment = deploy(cloud, compose, {"samples": [SAMPLE]})
    fn = unpack_function(deployment, NAME, tmp_path / cloud)
    assert len(object_subscriptions(deployment, fn.function_name)) == 1  # new objects invoke it
    if cloud == "aws":
        event = aws_event("s3_put.json")
        with on_lambda(fn.code_dir, fn.handler, fn.runtime, env=fn.env, function_name=fn.function_name) as rt:
            result = rt.invoke(event)
            logs = rt.logs()
        payload, records = result.payload, objects.from_aws(event)
    else:
        event = ali_event("oss_put.json")
        with on_fc(fn.code_dir, fn.handler, fn.runtime, env=fn.env, function_name=fn.function_name) as rt:
            result = rt.invoke(event)
            logs = rt.logs()
        payload, records = json.loads(result.payload_bytes), objects.from_ali(event)
    assert result.ok, logs
    assert payload == logic.summarize(records, invocation(cloud)) and payload["count"] >= 1
    assert f"new object {records[0].key}" in logs
