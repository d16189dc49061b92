"""The thumbnailer end to end on both clouds, and its wiring.

The flow tests package the function with the program's own packager, targeted at *this*
interpreter (CPython 3.11 manylinux wheels), so its real Pillow wheel can be imported here; the
target builds (cp312 / cp310) are checked by their wheel tags below. Then the zip runs:
- on AWS through the real runtime client (awslambdaric), with S3 and SQS served by moto;
- on FC through the documented event-bytes + context emulation, with OSS and MNS served by the
  local protocol servers (signatures verified).
"""

from __future__ import annotations

import base64
import io
import json
import os
import sys
import zipfile
from pathlib import Path

import boto3
import pulumi
import pytest
from deployed import build_unpacked
from harness import FcRuntime, LambdaRuntime
from images import jpeg, png
from PIL import Image
from pulumi_harness import deploy

from components import packaging
from components.paths import FUNCTIONS_DIR, SHARED_LIBRARY_DIR
from components.samples import thumbnailer as sample

LOCAL = packaging.Target(cloud="aws", python=f"{sys.version_info.major}.{sys.version_info.minor}")
THUMB_ENV = {
    "THUMBNAILS_BUCKET_BINDING": "images",
    "THUMBNAILS_QUEUE_BINDING": "results",
    "THUMBNAILS_INPUT_PREFIX": "images/",
    "THUMBNAILS_OUTPUT_PREFIX": "thumbnails/",
}
IMAGES = {"images/photo.jpg": jpeg(orientation=6), "images/logo.png": png(), "images/notes.txt": b"plain text"}


@pytest.fixture(scope="module")
def local_zip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dest = build_unpacked("thumbnailer", LOCAL, tmp_path_factory.mktemp("thumbnailer"))
    assert (dest / "PIL").is_dir(), "Pillow must come from the zip, not from the test's environment"
    return dest


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
def test_flow_on_aws_with_s3_and_sqs(local_zip: Path, aws_env: str) -> None:
    s3 = boto3.client("s3", endpoint_url=aws_env)
    sqs = boto3.client("sqs", endpoint_url=aws_env)
    s3.create_bucket(Bucket="images-b")
    url = sqs.create_queue(QueueName="results")["QueueUrl"]
    for key, body in IMAGES.items():
        s3.put_object(Bucket="images-b", Key=key, Body=body)
    env = {
        **THUMB_ENV,
        "CLOUDFN_CLOUD": "aws",
        "BUCKET_IMAGES_NAME": "images-b",
        "QUEUE_RESULTS_URL": url,
        "AWS_ENDPOINT_URL": aws_env,
    }
    with LambdaRuntime(local_zip, "entry_aws.handler", env=env, function_name="thumbnailer") as rt:
        result = rt.invoke(_s3_event("images-b", list(IMAGES)))
        logs = rt.logs()
    assert result.ok, logs
    thumb = Image.open(io.BytesIO(s3.get_object(Bucket="images-b", Key="thumbnails/photo.jpg")["Body"].read()))
    assert (thumb.format, thumb.size) == ("JPEG", (200, 200))
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert len(messages) == 1
    _check_report(json.loads(messages[0]["Body"]), "images-b")


@pytest.mark.network
def test_flow_on_alibaba_with_oss_and_mns(local_zip: Path, oss, mns_server) -> None:
    from fixtures.mns import STS_KEY_ID, STS_SECRET, STS_TOKEN

    from cloudfn.drivers.oss import OssObjectStore

    oss.server.add_credentials(STS_KEY_ID, STS_SECRET, STS_TOKEN)  # the function's role, as FC hands it over
    mns_server.create_queue("results-q")
    env = {
        **THUMB_ENV,
        **oss.env("images"),
        "QUEUE_RESULTS_NAME": "results-q",
        "QUEUE_RESULTS_ENDPOINT": mns_server.endpoint,
        "ALIBABA_CLOUD_ACCESS_KEY_ID": STS_KEY_ID,
        "ALIBABA_CLOUD_ACCESS_KEY_SECRET": STS_SECRET,
        "ALIBABA_CLOUD_SECURITY_TOKEN": STS_TOKEN,
    }
    store = OssObjectStore.from_env("images", env)
    for key, body in IMAGES.items():
        store.put(key, body)
    with FcRuntime(
        local_zip,
        "entry_ali.handler",
        env=env,
        function_name="thumbnailer",
        credentials=(STS_KEY_ID, STS_SECRET, STS_TOKEN),
    ) as rt:
        result = rt.invoke(_oss_event(oss.bucket, list(IMAGES)))
        logs = rt.logs()
    assert result.ok, (result.error, logs)
    thumb = Image.open(io.BytesIO(store.get("thumbnails/logo.png")))
    assert (thumb.format, thumb.size) == ("PNG", (200, 200))
    messages = mns_server.queue("results-q")
    assert len(messages) == 1
    # The MNS driver base64-encodes bodies like the official SDK; the EventBridge trigger decodes them.
    _check_report(json.loads(base64.b64decode(messages[0].body)), oss.bucket)


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
