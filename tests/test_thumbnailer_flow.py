"""The thumbnailer end to end on both clouds, and its wiring.

The flow tests deploy the sample under mocks and run the very artifact the program deployed
(Pillow built for that runtime's CPython), with its handler and the environment the program
produced, under that runtime's interpreter (tests/runtimes.py). Only endpoints and credentials
are rewritten for the local servers (deployed.pointed_at_local):
- on AWS through the real runtime client (awslambdaric), with S3 and SQS served by moto;
- on FC through the documented event-bytes + context emulation, with OSS and MNS served by the
  local protocol servers (signatures verified).
"""

from __future__ import annotations

import base64
import io
import json
import os
import zipfile
from pathlib import Path

import boto3
import pulumi
import pytest
from deployed import Deployed, pointed_at_local, unpack_function
from images import jpeg, png
from PIL import Image
from pulumi_harness import ACCOUNT, REGION, deploy
from runtimes import on_fc, on_lambda

from components import packaging
from components.paths import FUNCTIONS_DIR, SHARED_LIBRARY_DIR
from samples import thumbnailer as sample

THUMB_ENV = {
    "THUMBNAILS_BUCKET_BINDING": "images",
    "THUMBNAILS_QUEUE_BINDING": "results",
    "THUMBNAILS_INPUT_PREFIX": "images/",
    "THUMBNAILS_OUTPUT_PREFIX": "thumbnails/",
}
# The environment each stack's program gives the function, by value (mock stacks' suffixes).
DEPLOYED_ENV = {
    "aws": {
        **THUMB_ENV,
        "CLOUDFN_CLOUD": "aws",
        "BUCKET_IMAGES_NAME": "images-83970e7a",
        "QUEUE_RESULTS_URL": f"https://sqs.{REGION['aws']}.amazonaws.com/{ACCOUNT['aws']}/thumbnail-results-83970e7a",
    },
    "ali": {
        **THUMB_ENV,
        "CLOUDFN_CLOUD": "ali",
        "BUCKET_IMAGES_NAME": "images-a4f6de28",
        "BUCKET_IMAGES_REGION": REGION["ali"],
        "BUCKET_IMAGES_ENDPOINT": f"oss-{REGION['ali']}-internal.aliyuncs.com",
        "QUEUE_RESULTS_NAME": "thumbnail-results-a4f6de28",
        "QUEUE_RESULTS_ENDPOINT": f"https://{ACCOUNT['ali']}.mns.{REGION['ali']}.aliyuncs.com",
    },
}
IMAGES = {"images/photo.jpg": jpeg(orientation=6), "images/logo.png": png(), "images/notes.txt": b"plain text"}


def deployed(cloud: str, runtime: str, tmp_path: Path) -> Deployed:
    """The thumbnailer as the sample program deploys it on ``cloud`` for ``runtime``."""
    key = "lambdaRuntime" if cloud == "aws" else "fcRuntime"
    fn = unpack_function(deploy(cloud, sample.build, {key: runtime}), "thumbnailer", tmp_path / "code")
    assert (fn.runtime, fn.handler) == (runtime, f"entry_{cloud}.handler")
    assert (fn.code_dir / "PIL").is_dir(), "Pillow must come from the zip, not from the test's environment"
    abi = runtime.removeprefix("python").replace(".", "")
    assert any(fn.code_dir.glob(f"PIL/_imaging.cpython-{abi}-x86_64-linux-gnu.so")), "Pillow built for the target"
    assert fn.env == DEPLOYED_ENV[cloud]
    return fn


def _check_report(report: dict, bucket: str) -> None:
    assert report["bucket"] == bucket
    assert sorted(t["thumbnail"] for t in report["thumbnails"]) == ["thumbnails/logo.png", "thumbnails/photo.jpg"]
    assert [p["source"] for p in report["problems"]] == ["images/notes.txt"]


def _s3_event(bucket: str, keys: list[str]) -> dict:
    from urllib.parse import quote_plus

    return {
        "Records": [
            {
                "eventVersion": "2.1",
                "eventSource": "aws:s3",
                "awsRegion": "us-east-1",
                "eventTime": "2026-11-24T10:00:00.000Z",
                "eventName": "ObjectCreated:Put",
                "s3": {
                    "s3SchemaVersion": "1.0",
                    "bucket": {"name": bucket, "arn": f"arn:aws:s3:::{bucket}"},
                    "object": {"key": quote_plus(k), "size": len(IMAGES[k]), "eTag": "e"},
                },
            }
            for k in keys
        ]
    }


def _oss_event(bucket: str, keys: list[str]) -> bytes:
    return json.dumps(
        {
            "events": [
                {
                    "eventName": "ObjectCreated:PutObject",
                    "eventSource": "acs:oss",
                    "eventTime": "2026-11-24T10:00:00.000Z",
                    "eventVersion": "1.0",
                    "region": "cn-hangzhou",
                    "oss": {
                        "bucket": {"arn": f"acs:oss:cn-hangzhou:1:{bucket}", "name": bucket, "ownerIdentity": "1"},
                        "object": {"deltaSize": len(IMAGES[k]), "eTag": "E", "key": k, "size": len(IMAGES[k])},
                        "ossSchemaVersion": "1.0",
                        "ruleId": "r",
                    },
                }
                for k in keys
            ]
        }
    ).encode()


@pytest.mark.network
@pytest.mark.parametrize("runtime", ["python3.12", "python3.13"])
def test_flow_on_aws_with_s3_and_sqs(tmp_path: Path, aws_env: str, runtime: str) -> None:
    fn = deployed("aws", runtime, tmp_path)
    bucket = fn.env["BUCKET_IMAGES_NAME"]
    s3 = boto3.client("s3", endpoint_url=aws_env)
    sqs = boto3.client("sqs", endpoint_url=aws_env)
    s3.create_bucket(Bucket=bucket)
    url = sqs.create_queue(QueueName=fn.env["QUEUE_RESULTS_URL"].rsplit("/", 1)[1])["QueueUrl"]
    for key, body in IMAGES.items():
        s3.put_object(Bucket=bucket, Key=key, Body=body)
    env = pointed_at_local(fn.env, QUEUE_RESULTS_URL=url, AWS_ENDPOINT_URL=aws_env)
    with on_lambda(fn.code_dir, fn.handler, fn.runtime, env=env, function_name=fn.function_name) as rt:
        result = rt.invoke(_s3_event(bucket, list(IMAGES)))
        logs = rt.logs()
    assert result.ok, logs
    thumb = Image.open(io.BytesIO(s3.get_object(Bucket=bucket, Key="thumbnails/photo.jpg")["Body"].read()))
    assert (thumb.format, thumb.size) == ("JPEG", (200, 200))
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert len(messages) == 1
    _check_report(json.loads(messages[0]["Body"]), bucket)


@pytest.mark.network
@pytest.mark.parametrize("runtime", ["python3.10", "python3.12"])
def test_flow_on_alibaba_with_oss_and_mns(tmp_path: Path, oss, mns_server, runtime: str) -> None:
    from fixtures.mns import STS_KEY_ID, STS_SECRET, STS_TOKEN

    from cloudfn.drivers.oss import OssObjectStore

    fn = deployed("ali", runtime, tmp_path)
    bucket = fn.env["BUCKET_IMAGES_NAME"]
    oss.server.create_bucket(bucket)
    oss.server.add_credentials(STS_KEY_ID, STS_SECRET, STS_TOKEN)  # the function's role, as FC hands it over
    mns_server.create_queue(fn.env["QUEUE_RESULTS_NAME"])
    env = pointed_at_local(fn.env, BUCKET_IMAGES_ENDPOINT=oss.endpoint, QUEUE_RESULTS_ENDPOINT=mns_server.endpoint)
    creds = {
        "ALIBABA_CLOUD_ACCESS_KEY_ID": STS_KEY_ID,
        "ALIBABA_CLOUD_ACCESS_KEY_SECRET": STS_SECRET,
        "ALIBABA_CLOUD_SECURITY_TOKEN": STS_TOKEN,
    }
    store = OssObjectStore.from_env("images", {**env, **creds})
    for key, body in IMAGES.items():
        store.put(key, body)
    with on_fc(
        fn.code_dir,
        fn.handler,
        fn.runtime,
        env=env,
        function_name=fn.function_name,
        credentials=(STS_KEY_ID, STS_SECRET, STS_TOKEN),
    ) as rt:
        result = rt.invoke(_oss_event(bucket, list(IMAGES)))
        logs = rt.logs()
    assert result.ok, (result.error, logs)
    thumb = Image.open(io.BytesIO(store.get("thumbnails/logo.png")))
    assert (thumb.format, thumb.size) == ("PNG", (200, 200))
    messages = mns_server.queue(fn.env["QUEUE_RESULTS_NAME"])
    assert len(messages) == 1
    # The MNS driver base64-encodes bodies like the official SDK; the EventBridge trigger decodes them.
    _check_report(json.loads(base64.b64decode(messages[0].body)), bucket)


def test_wiring_on_both_stacks(cloud: str) -> None:
    d = deploy(cloud, sample.build)
    if cloud == "aws":
        env = d.one("aws:lambda/function:Function", "thumbnailer").inputs["environment"]["variables"]
        assert set(env) >= {"BUCKET_IMAGES_NAME", "QUEUE_RESULTS_URL", *THUMB_ENV}
        notification = d.one("aws:s3/bucketNotification:BucketNotification")
        assert [f["filterPrefix"] for f in notification.inputs["lambdaFunctions"]] == ["images/"]
        statements = d.one("aws:iam/rolePolicy:RolePolicy", "thumbnailer-grants").json("policy")["Statement"]
    else:
        env = d.one("alicloud:fc/v3Function:V3Function", "thumbnailer").inputs["environmentVariables"]
        assert set(env) >= {"BUCKET_IMAGES_NAME", "QUEUE_RESULTS_NAME", *THUMB_ENV}
        trigger = next(t for t in d.of_type("alicloud:fc/v3Trigger:V3Trigger") if t.inputs["triggerType"] == "oss")
        assert trigger.json("triggerConfig")["filter"]["key"]["prefix"] == "images/"
        statements = d.one("alicloud:ram/policy:Policy", "thumbnailer-grants").json("policyDocument")["Statement"]
    actions = sorted(a for s in statements for a in s["Action"])
    expected = (
        ["s3:GetObject", "s3:ListBucket", "s3:PutObject", "sqs:SendMessage"]
        if cloud == "aws"
        else ["mns:SendMessage", "oss:GetObject", "oss:ListObjects", "oss:PutObject"]
    )
    assert actions == expected
    assert all("*" not in a for a in actions)


@pytest.mark.parametrize(("inp", "out"), [("images/", "images/thumbs/"), ("", "thumbnails/"), ("images/", "")])
def test_an_output_prefix_inside_the_input_prefix_is_rejected(cloud: str, inp: str, out: str) -> None:
    with pytest.raises(pulumi.RunError, match="output_prefix"):
        deploy(cloud, lambda app: sample.build(app, input_prefix=inp, output_prefix=out))


@pytest.mark.parametrize(
    ("inp", "out", "setting"),
    [
        ("images/", "images/thumbs/", "thumbnailer output_prefix: got 'images/thumbs/'"),  # output inside input
        ("media/in/", "media/", "thumbnailer input_prefix: got 'media/in/'"),  # input inside output
        ("media/", "media/", "thumbnailer output_prefix: got 'media/'"),  # the same prefix
    ],
)
def test_overlapping_prefixes_are_refused_naming_both(cloud: str, inp: str, out: str, setting: str) -> None:
    with pytest.raises(pulumi.RunError) as caught:
        deploy(cloud, lambda app: sample.build(app, input_prefix=inp, output_prefix=out))
    message = str(caught.value)
    assert message.startswith(setting)
    assert repr(inp) in message and repr(out) in message


@pytest.mark.parametrize(("inp", "out"), [("media/in/", "media/out/"), ("in/", "input-thumbs/")])
def test_disjoint_prefixes_are_accepted_and_wired(cloud: str, inp: str, out: str) -> None:
    d = deploy(cloud, lambda app: sample.build(app, input_prefix=inp, output_prefix=out))
    if cloud == "aws":
        env = d.one("aws:lambda/function:Function", "thumbnailer").inputs["environment"]["variables"]
        notification = d.one("aws:s3/bucketNotification:BucketNotification")
        watched = [f["filterPrefix"] for f in notification.inputs["lambdaFunctions"]]
    else:
        env = d.one("alicloud:fc/v3Function:V3Function", "thumbnailer").inputs["environmentVariables"]
        triggers = [t for t in d.of_type("alicloud:fc/v3Trigger:V3Trigger") if t.inputs["triggerType"] == "oss"]
        watched = [t.json("triggerConfig")["filter"]["key"]["prefix"] for t in triggers]
    assert (env["THUMBNAILS_INPUT_PREFIX"], env["THUMBNAILS_OUTPUT_PREFIX"], watched) == (inp, out, [inp])


@pytest.mark.network
@pytest.mark.parametrize(("cloud", "runtime", "abi"), [("aws", "python3.12", "cp312"), ("ali", "python3.10", "cp310")])
def test_the_artifact_carries_pillow_built_for_the_target(cloud: str, runtime: str, abi: str) -> None:
    art = packaging.build(
        FUNCTIONS_DIR / "thumbnailer",
        SHARED_LIBRARY_DIR,
        packaging.Target.for_runtime(cloud, runtime),
        Path(os.environ["CLOUDFN_BUILD_DIR"]),
    )
    with zipfile.ZipFile(art.path) as zf:
        wheel = next(n for n in zf.namelist() if n.lower().startswith("pillow-") and n.endswith("dist-info/WHEEL"))
        tags = [ln[5:] for ln in zf.read(wheel).decode().splitlines() if ln.startswith("Tag: ")]
        assert "entry_aws.py" in zf.namelist() and "thumbnailer/service.py" in zf.namelist()
        assert any(n.startswith("PIL/_imaging.") and f"cpython-{abi[2:]}-x86_64" in n for n in zf.namelist())
    assert tags and all(t.startswith(f"{abi}-{abi}-manylinux") and t.endswith("x86_64") for t in tags), tags
