"""localcloud.topology: the real program's graph read back, for both clouds, by value."""

from __future__ import annotations

import base64
import hashlib
import json
import zipfile

import pytest
from pulumi_harness import ACCOUNT, REGION, deploy

from localcloud.topology import Notification, QueueSubscription, load, reveal
from samples import compose

PASSWORD = "Sup3r-Secret_42"
FN_TYPE = {"aws": "aws:lambda/function:Function", "ali": "alicloud:fc/v3Function:V3Function"}


@pytest.fixture(scope="module", params=["aws", "ali"])
def both(request: pytest.FixtureRequest):
    """(cloud, topology of the whole program, the mock deployment of the same samples)."""
    cloud = request.param
    config = {"dbPassword": PASSWORD} if cloud == "ali" else {}
    topo = load(cloud, config=config)
    deployment = deploy(cloud, compose, config)
    return cloud, topo, deployment


def by_component(topo, kind: str) -> dict:
    return {spec.component: spec for spec in getattr(topo, kind).values()}


def test_every_function_as_the_mock_deployment_produced_it(both) -> None:
    cloud, topo, d = both
    natives = d.of_type(FN_TYPE[cloud])
    assert sorted(f.component for f in topo.functions.values()) == sorted(n.name for n in natives)
    for native in natives:
        i = reveal(native.inputs)
        name = i["name"] if cloud == "aws" else i["functionName"]
        fn = topo.functions[name]
        env = i["environment"]["variables"] if cloud == "aws" else i["environmentVariables"]
        assert fn.environment == {k: str(v) for k, v in env.items()}
        assert (fn.handler, fn.runtime, fn.memory_mb, fn.timeout_s, fn.role) == (
            f"entry_{cloud}.handler",
            i["runtime"],
            int(i["memorySize"]),
            int(i["timeout"]),
            i["role"],
        )
        # The artifact is the very zip the deployment uploads.
        data = fn.artifact.read_bytes()
        if cloud == "aws":
            assert base64.b64encode(hashlib.sha256(data).digest()).decode() == i["sourceCodeHash"]
        else:  # the artifact-bucket object the function names, keyed by its content
            assert i["code"]["ossObjectName"] == f"{fn.component}/{hashlib.sha256(data).hexdigest()}.zip"
        assert f"entry_{cloud}.py" in zipfile.ZipFile(fn.artifact).namelist()
    outpg = by_component(topo, "functions")["outpg"]
    assert (outpg.code, outpg.vpc, outpg.memory_mb) == ("output_postgresql", True, 256)
    assert by_component(topo, "functions")["basic"].vpc is False
    if cloud == "ali":
        assert outpg.environment["DB_TASKS_PASSWORD"] == PASSWORD  # secrets revealed


def test_policies_are_the_generated_documents(both) -> None:
    cloud, topo, _ = both
    fn = by_component(topo, "functions")["output-object-storage"]
    bucket = by_component(topo, "buckets")["outobjstorage"].name
    if cloud == "aws":
        obj, lst = f"arn:aws:s3:::{bucket}/*", f"arn:aws:s3:::{bucket}"
        assert fn.policy_names == ("output-object-storage-logging", "output-object-storage-grants")
        assert fn.policies[1] == {
            "Version": "2012-10-17",
            "Statement": [
                {"Sid": "ObjectsRead", "Effect": "Allow", "Action": ["s3:GetObject"], "Resource": [obj]},
                {"Sid": "ObjectsList", "Effect": "Allow", "Action": ["s3:ListBucket"], "Resource": [lst]},
                {"Sid": "ObjectsWrite", "Effect": "Allow", "Action": ["s3:PutObject"], "Resource": [obj]},
            ],
        }
        assert fn.policies[0]["Statement"][0]["Resource"] == [
            f"arn:aws:logs:{REGION['aws']}:{ACCOUNT['aws']}:log-group:/aws/lambda/{fn.name}:*"
        ]
    else:
        obj, lst = f"acs:oss:*:{ACCOUNT['ali']}:{bucket}/*", f"acs:oss:*:{ACCOUNT['ali']}:{bucket}"
        suffix = fn.name.rsplit("-", 1)[1]
        assert fn.policy_names == (
            f"output-object-storage-fn-{suffix}-logging",
            f"output-object-storage-fn-{suffix}-grants",
        )
        assert fn.policies[1] == {
            "Version": "1",
            "Statement": [
                {"Effect": "Allow", "Action": ["oss:GetObject"], "Resource": [obj]},
                {"Effect": "Allow", "Action": ["oss:ListObjects"], "Resource": [lst]},
                {"Effect": "Allow", "Action": ["oss:PutObject"], "Resource": [obj]},
            ],
        }
    # Only the role's own documents: the invocation roles' policies belong to no function.
    notification = by_component(topo, "functions")["notification"]
    assert all(
        "fc:InvokeFunction" not in json.dumps(p) and "lambda:InvokeFunction" not in json.dumps(p)
        for p in notification.policies
    )


def test_buckets_notifications_and_initial_objects(both) -> None:
    cloud, topo, _ = both
    buckets = by_component(topo, "buckets")
    # On Alibaba Cloud the stack's artifact bucket holds every function's zip, by content.
    artifacts = ["artifacts"] if cloud == "ali" else []
    assert sorted(buckets) == [*artifacts, "images", "outobjstorage", "storage"]
    if cloud == "ali":
        zips = {
            f"{f.component}/{hashlib.sha256(f.artifact.read_bytes()).hexdigest()}.zip" for f in topo.functions.values()
        }
        assert set(buckets["artifacts"].objects) == zips
    assert buckets["outobjstorage"].objects == {"test.txt": b"sample-test-content"}
    assert buckets["images"].objects == {}
    thumbnailer = by_component(topo, "functions")["thumbnailer"].name
    events = (
        ("s3:ObjectCreated:*",)
        if cloud == "aws"
        else (
            "oss:ObjectCreated:PutObject",
            "oss:ObjectCreated:PostObject",
            "oss:ObjectCreated:CopyObject",
            "oss:ObjectCreated:CompleteMultipartUpload",
            "oss:ObjectCreated:AppendObject",
            "oss:ObjectCreated:PutSymlink",
        )
    )
    assert buckets["images"].notifications == (Notification(thumbnailer, events, "images/", ""),)
    trigger = by_component(topo, "functions")["trigger-object-storage"].name
    assert buckets["storage"].notifications == (Notification(trigger, events, "", ""),)
    assert buckets["outobjstorage"].notifications == ()


def test_queues_dead_letters_and_subscriptions(both) -> None:
    cloud, topo, _ = both
    queues = by_component(topo, "queues")
    assert sorted(queues) == sorted(
        f"{q}{d}" for q in ("notification-queue", "outnotification-queue", "thumbnail-results") for d in ("", "-dlq")
    )
    q = queues["notification-queue"]
    dlq = queues["notification-queue-dlq"]
    assert (q.dead_letter, q.max_receive_count, q.visibility_timeout_s) == (dlq.name, 5, 180)
    assert (dlq.dead_letter, dlq.max_receive_count, dlq.subscriptions) == (None, None, ())
    fn = by_component(topo, "functions")["notification"].name
    expected = (
        QueueSubscription(fn, 10, 0, True, None, None)
        if cloud == "aws"
        else QueueSubscription(fn, 10, 0, False, 3, dlq.name)
    )
    assert q.subscriptions == (expected,)
    assert queues["thumbnail-results"].subscriptions == ()
    assert queues["thumbnail-results"].visibility_timeout_s == 30


def test_topics_schedules_and_database(both) -> None:
    cloud, topo, _ = both
    topics = by_component(topo, "topics")
    fn = by_component(topo, "functions")["notification"].name
    assert topics["notification-topic"].subscriptions == (fn,)
    assert topics["notification-topic"].format == ("sns" if cloud == "aws" else "JSON")
    assert topics["outnotification-topic"].subscriptions == ()
    (schedule,) = topo.schedules.values()
    timer = by_component(topo, "functions")["timer"].name
    assert (schedule.component, schedule.function, schedule.enabled) == ("timer-every-5m", timer, True)
    if cloud == "aws":
        assert (schedule.expression, schedule.timezone) == ("rate(5 minutes)", "UTC")
        assert json.loads(schedule.payload) == {
            "payload": {"message": "some-custom-payload"},
            "schedule": "timer-every-5m",
            "time": "<aws.scheduler.scheduled-time>",
        }
    else:
        assert (schedule.name, schedule.expression, schedule.timezone) == ("timer-every-5m", "@every 5m", None)
        assert json.loads(schedule.payload) == {
            "payload": {"message": "some-custom-payload"},
            "schedule": "timer-every-5m",
        }
    (db,) = topo.databases.values()
    assert (db.component, db.database_name, db.user, db.env_prefix) == ("tasks", "outpgbase", "outpguser", "DB_TASKS_")
    assert db.engine_version == ("17" if cloud == "aws" else "17.0")
    assert (topo.cloud, topo.region, topo.account) == (cloud, REGION[cloud], ACCOUNT[cloud])


def test_samples_and_config_change_the_topology(cloud: str) -> None:
    region = "eu-west-1" if cloud == "aws" else "cn-shanghai"
    key = "aws:region" if cloud == "aws" else "alicloud:region"
    topo = load(cloud, samples=["basic", "thumbnailer"], config={key: region})
    assert sorted(f.component for f in topo.functions.values()) == ["basic", "thumbnailer"]
    artifacts = ["artifacts"] if cloud == "ali" else []  # function code, by content (Alibaba Cloud)
    assert sorted(b.component for b in topo.buckets.values()) == [*artifacts, "images"]
    assert (topo.region, topo.schedules, topo.databases, topo.topics) == (region, {}, {}, {})
    thumbnailer = next(f for f in topo.functions.values() if f.component == "thumbnailer")
    resources = [r for p in thumbnailer.policies for s in p["Statement"] for r in s["Resource"]]
    queue = next(q.name for q in topo.queues.values() if q.component == "thumbnail-results")
    assert (
        f"arn:aws:sqs:{region}:{ACCOUNT['aws']}:{queue}"
        if cloud == "aws"
        else f"acs:mns:{region}:{ACCOUNT['ali']}:/queues/{queue}/messages"
    ) in resources
