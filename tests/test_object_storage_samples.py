"""The trigger_object_storage and output_object_storage samples: wiring, logic, and each packaged
function invoked the way its platform does (awslambdaric on Lambda, the FC runtime emulation)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from conftest import EVENTS, load_function_module
from deployed import Deployed, deploy_function, pointed_at_local
from pulumi_harness import ACCOUNT, REGION, deploy, resolve
from runtimes import on_fc, on_lambda

from cloudfn import Invocation
from cloudfn.errors import NotFoundError
from cloudfn.events import objects
from cloudfn.testing import MemoryObjectStore
from samples import compose

SAMPLES = ["trigger_object_storage", "output_object_storage"]


# -- program wiring -------------------------------------------------------------------------


def test_samples_wire_the_tutorial_on_aws() -> None:
    d = deploy("aws", compose, {"samples": SAMPLES})
    out = resolve(d.outputs)
    storage, files = out["trigger_object_storage.bucket"], out["output_object_storage.bucket"]
    trigger_fn = out["functions"]["trigger_object_storage.trigger"]
    note = d.one("aws:s3/bucketNotification:BucketNotification")
    assert note.inputs["bucket"] == storage
    assert note.inputs["lambdaFunctions"] == [
        {
            "id": "storage-to-trigger-object-storage",
            "events": ["s3:ObjectCreated:*"],
            "lambdaFunctionArn": f"arn:aws:lambda:{REGION['aws']}:{ACCOUNT['aws']}:function:{trigger_fn}",
        }
    ]
    perm = d.one("aws:lambda/permission:Permission")
    assert (perm.inputs["principal"], perm.inputs["sourceArn"]) == ("s3.amazonaws.com", f"arn:aws:s3:::{storage}")
    obj = d.one("aws:s3/bucketObjectv2:BucketObjectv2")
    assert (obj.inputs["bucket"], obj.inputs["key"]) == (files, "test.txt")
    assert obj.inputs["content"] == "sample-test-content"
    grants = d.one("aws:iam/rolePolicy:RolePolicy", "output-object-storage-grants").json("policy")
    assert [(s["Action"], s["Resource"]) for s in grants["Statement"]] == [
        (["s3:GetObject"], [f"arn:aws:s3:::{files}/*"]),
        (["s3:ListBucket"], [f"arn:aws:s3:::{files}"]),
        (["s3:PutObject"], [f"arn:aws:s3:::{files}/*"]),
    ]
    env = d.one("aws:lambda/function:Function", "output-object-storage").inputs["environment"]["variables"]
    assert env == {"BUCKET_FILES_NAME": files, "CLOUDFN_CLOUD": "aws"}
    # Both buckets keep their data on destroy unless the stack is marked throwaway.
    assert [b.inputs["forceDestroy"] for b in d.of_type("aws:s3/bucket:Bucket")] == [False, False]


def test_samples_wire_the_tutorial_on_ali() -> None:
    d = deploy("ali", compose, {"samples": SAMPLES, "throwaway": "true"})
    out = resolve(d.outputs)
    storage, files = out["trigger_object_storage.bucket"], out["output_object_storage.bucket"]
    trigger = d.one("alicloud:fc/v3Trigger:V3Trigger")
    assert trigger.inputs["functionName"] == out["functions"]["trigger_object_storage.trigger"]
    assert trigger.inputs["sourceArn"] == f"acs:oss:{REGION['ali']}:{ACCOUNT['ali']}:{storage}"
    assert trigger.json("triggerConfig")["filter"] == {"key": {"prefix": "", "suffix": ""}}
    # The functions' code objects live in the artifact bucket (test_artifacts.py); this is the sample's.
    obj = d.one("alicloud:oss/bucketObject:BucketObject", "outobjstorage-object-test.txt")
    assert (obj.inputs["bucket"], obj.inputs["key"]) == (files, "test.txt")
    assert obj.inputs["content"] == "sample-test-content"
    grants = d.one("alicloud:ram/policy:Policy", "output-object-storage-grants").json("policyDocument")
    arn = f"acs:oss:*:{ACCOUNT['ali']}:{files}"
    assert [(s["Action"], s["Resource"]) for s in grants["Statement"]] == [
        (["oss:GetObject"], [f"{arn}/*"]),
        (["oss:ListObjects"], [arn]),
        (["oss:PutObject"], [f"{arn}/*"]),
    ]
    fn = d.one("alicloud:fc/v3Function:V3Function", "output-object-storage")
    assert fn.inputs["environmentVariables"] == {
        "BUCKET_FILES_NAME": files,
        "BUCKET_FILES_REGION": REGION["ali"],
        "BUCKET_FILES_ENDPOINT": f"oss-{REGION['ali']}-internal.aliyuncs.com",
        "CLOUDFN_CLOUD": "ali",
    }
    samples = [b for b in d.of_type("alicloud:oss/bucket:Bucket") if b.name != "artifacts"]
    assert [b.inputs["forceDestroy"] for b in samples] == [True, True]


# -- logic with the in-memory fake ----------------------------------------------------------


def _inv() -> Invocation:
    return Invocation(request_id="r-1", function_name="fn", cloud="aws")


def test_output_logic_reads_test_txt_and_writes_a_generated_file() -> None:
    logic = load_function_module("output_object_storage", "output_object_storage")
    store = MemoryObjectStore("b", {"test.txt": "sample-test-content"})
    handle = logic.make_logic(store, clock=lambda: 1554192000.123)
    result = handle(None, _inv())
    assert result == {
        "read": "sample-test-content",
        "written": "generated_1554192000123.txt",
        "etag": store.head("generated_1554192000123.txt").etag,
    }
    assert store.get("generated_1554192000123.txt") == b"Sample content."


def test_output_logic_fails_clearly_without_test_txt() -> None:
    logic = load_function_module("output_object_storage", "output_object_storage")
    with pytest.raises(NotFoundError, match=r"test\.txt"):
        logic.make_logic(MemoryObjectStore("b"))(None, _inv())


def test_trigger_logic_logs_and_returns_each_record(caplog: pytest.LogCaptureFixture) -> None:
    logic = load_function_module("trigger_object_storage", "trigger_object_storage")
    records = objects.from_aws(json.loads((EVENTS / "aws" / "s3_encoded_keys.json").read_text()))
    with caplog.at_level("INFO"):
        result = logic.on_objects_created(records, _inv())
    assert result["status"] == "success"
    assert [o["key"] for o in result["objects"]] == [r.key for r in records]
    assert "uploads/my holiday photo (2).jpg" in caplog.text


# -- deployed, then invoked as each platform does -------------------------------------------
# The very zip, handler, runtime and environment the program deployed, under that runtime's Python;
# only endpoints and credentials are pointed at the local servers.
def _deployed(logical: str, cloud: str, runtime: str, tmp_path: Path) -> Deployed:
    return deploy_function(cloud, compose, logical, tmp_path / f"{logical}-{cloud}", runtime, {"samples": SAMPLES})


OUT_ENV = {
    "aws": {"CLOUDFN_CLOUD": "aws", "BUCKET_FILES_NAME": "outobjstorage-83970e7a"},
    "ali": {
        "CLOUDFN_CLOUD": "ali",
        "BUCKET_FILES_NAME": "outobjstorage-a4f6de28",
        "BUCKET_FILES_REGION": REGION["ali"],
        "BUCKET_FILES_ENDPOINT": f"oss-{REGION['ali']}-internal.aliyuncs.com",
    },
}


def test_trigger_sample_on_lambda(tmp_path: Path) -> None:
    fn = _deployed("trigger-object-storage", "aws", "python3.12", tmp_path)
    assert fn.env == {"CLOUDFN_CLOUD": "aws"}
    event = json.loads((EVENTS / "aws" / "s3_put.json").read_text())
    with on_lambda(fn.code_dir, fn.handler, fn.runtime, env=fn.env, function_name=fn.function_name) as rt:
        result = rt.invoke(event)
        bad = rt.invoke({"Records": [{"eventSource": "aws:sqs"}]})
        logs = rt.logs()
    assert result.ok, result.error
    assert result.payload["objects"] == [
        {
            "bucket": "storage-bucket20190329072127281200000001",
            "key": "test.txt",
            "size": 15,
            "etag": "032447899e6c18dd3e30388764c0ff21",
            "time": "2019-03-29T08:07:41.393000+00:00",
            "cloud": "aws",
            "event_name": "ObjectCreated:Put",
        }
    ]
    assert "object created" in logs
    assert not bad.ok and bad.error["errorType"] == "EventFormatError"


@pytest.mark.parametrize("runtime", ["python3.10", "python3.12"])
def test_trigger_sample_on_function_compute(tmp_path: Path, runtime: str) -> None:
    fn = _deployed("trigger-object-storage", "ali", runtime, tmp_path)
    assert fn.env == {"CLOUDFN_CLOUD": "ali"}
    with on_fc(fn.code_dir, fn.handler, fn.runtime, env=fn.env, function_name=fn.function_name) as rt:
        result = rt.invoke((EVENTS / "ali" / "oss_special_keys.json").read_bytes())
    assert result.ok, result.error
    assert [o["key"] for o in result.payload["objects"]] == [
        "uploads/my holiday photo (2)+final.jpg",
        "reports/100%25 done/报告-été.pdf",
    ]
    assert {o["cloud"] for o in result.payload["objects"]} == {"ali"}


def test_output_sample_on_lambda_against_s3(tmp_path: Path, aws_env: str) -> None:
    import boto3

    fn = _deployed("output-object-storage", "aws", "python3.12", tmp_path)
    assert fn.env == OUT_ENV["aws"]
    bucket = fn.env["BUCKET_FILES_NAME"]
    s3 = boto3.client("s3", endpoint_url=aws_env, region_name="us-east-1")
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="test.txt", Body=b"sample-test-content")
    env = pointed_at_local(fn.env, AWS_ENDPOINT_URL_S3=aws_env)
    with on_lambda(fn.code_dir, fn.handler, fn.runtime, env=env, function_name=fn.function_name) as rt:
        result = rt.invoke({})
    assert result.ok, result.error
    assert result.payload["read"] == "sample-test-content"
    assert re.fullmatch(r"generated_\d{13}\.txt", result.payload["written"])
    body = s3.get_object(Bucket=bucket, Key=result.payload["written"])["Body"].read()
    assert body == b"Sample content."


@pytest.mark.parametrize("runtime", ["python3.10", "python3.12"])
def test_output_sample_on_function_compute_against_oss(tmp_path: Path, oss, runtime: str) -> None:
    from datetime import datetime, timezone

    from servers.oss_server import StoredObject

    fn = _deployed("output-object-storage", "ali", runtime, tmp_path)
    assert fn.env == OUT_ENV["ali"]
    assert (fn.code_dir / "alibabacloud_oss_v2").is_dir()  # the SDK is bundled for FC
    bucket = fn.env["BUCKET_FILES_NAME"]
    oss.server.create_bucket(bucket)
    oss.server.state.buckets[bucket]["test.txt"] = StoredObject(
        b"sample-test-content", "text/plain", datetime.now(timezone.utc).replace(microsecond=0)
    )
    env = pointed_at_local(fn.env, BUCKET_FILES_ENDPOINT=oss.endpoint)
    creds = (oss.access_key_id, oss.access_key_secret, oss.security_token)
    with on_fc(fn.code_dir, fn.handler, fn.runtime, env=env, function_name=fn.function_name, credentials=creds) as rt:
        result = rt.invoke(b"{}")
    assert result.ok, result.error
    assert result.payload["read"] == "sample-test-content"
    written = result.payload["written"]
    assert oss.server.objects(bucket)[written] == b"Sample content."
    put = [r for r in oss.server.state.requests if r.method == "PUT"][-1]
    assert put.headers["x-oss-security-token"] == oss.security_token  # FC's STS token, from the env
