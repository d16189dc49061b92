"""localcloud.services: least privilege enforced on both clouds, resources created, events emitted.

Each function's credentials are used through the project's own drivers (as the function would),
against the local servers, with the environment ``function_environment`` hands out.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cloudfn.errors import PermissionDeniedError
from localcloud.policy import PolicyError
from localcloud.services import ObjectCreated, Services, TopicMessage, UnknownResource
from localcloud.topology import Topology, load

SAMPLES = ["output_object_storage", "thumbnailer", "output_notification", "trigger_notification"]


@dataclasses.dataclass
class Cloud:
    name: str
    topo: Topology
    services: Services
    events: list[Any]
    workdir: Path

    def fn(self, component: str):
        return next(f for f in self.topo.functions.values() if f.component == component)

    def named(self, kind: str, component: str) -> str:
        return next(s.name for s in getattr(self.topo, kind).values() if s.component == component)

    def env(self, component: str) -> dict[str, str]:
        return self.services.function_environment(self.fn(component))


@pytest.fixture(scope="module", params=["aws", "ali"])
def lc(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cloud]:
    topo = load(request.param, samples=SAMPLES)
    events: list[Any] = []
    workdir = tmp_path_factory.mktemp(f"lc-{request.param}") / "work"
    services = Services(topo, workdir, events.append)
    services.start()
    try:
        yield Cloud(request.param, topo, services, events, workdir)
    finally:
        services.stop()


@pytest.fixture
def cloud_(lc: Cloud) -> Cloud:
    lc.events.clear()
    return lc


def store(env: dict[str, str], bucket: str):
    """The project's object-store driver for ``bucket`` with these credentials."""
    if env["CLOUDFN_CLOUD"] == "aws":
        from cloudfn.drivers.s3 import S3ObjectStore

        return S3ObjectStore(bucket, client=_session(env).client("s3", endpoint_url=env["AWS_ENDPOINT_URL"]))
    from cloudfn.drivers.oss import OssObjectStore, make_client

    endpoint = next(v for k, v in env.items() if k.startswith("BUCKET_") and k.endswith("_ENDPOINT"))
    return OssObjectStore(
        bucket,
        make_client(
            env["FC_REGION"],
            endpoint,
            env["ALIBABA_CLOUD_ACCESS_KEY_ID"],
            env["ALIBABA_CLOUD_ACCESS_KEY_SECRET"],
            env.get("ALIBABA_CLOUD_SECURITY_TOKEN"),
        ),
    )


def _session(env: dict[str, str]):
    import boto3

    return boto3.session.Session(
        aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
        aws_session_token=env.get("AWS_SESSION_TOKEN"),
        region_name=env["AWS_REGION"],
    )


def messaging(env: dict[str, str]):
    if env["CLOUDFN_CLOUD"] == "aws":
        from cloudfn.drivers.sqs_sns import SqsSnsMessaging

        s = _session(env)
        url = env["AWS_ENDPOINT_URL"]
        return SqsSnsMessaging(sqs=s.client("sqs", endpoint_url=url), sns=s.client("sns", endpoint_url=url), env=env)
    from cloudfn.drivers.mns import MnsMessaging

    return MnsMessaging(env=env)


def with_topic(lc: Cloud, env: dict[str, str], binding: str, topic: str) -> dict[str, str]:
    """``env`` plus the settings a ``topic.grant_publish`` would inject, without the grant."""
    if lc.name == "aws":
        return {**env, f"TOPIC_{binding}_ARN": f"arn:aws:sns:{lc.topo.region}:{lc.topo.account}:{topic}"}
    return {**env, f"TOPIC_{binding}_NAME": topic, f"TOPIC_{binding}_ENDPOINT": lc.services.endpoints["mns"]}


def test_output_object_storage_credentials_reach_its_bucket_only(cloud_: Cloud) -> None:
    env = cloud_.env("output-object-storage")
    own, other = cloud_.named("buckets", "outobjstorage"), cloud_.named("buckets", "images")
    mine = store(env, own)
    assert mine.get("test.txt") == b"sample-test-content"  # the program's initial object
    mine.put("generated_1.txt", b"written by the function")
    assert cloud_.services.get_object(own, "generated_1.txt") == b"written by the function"
    assert [o.key for o in mine.list()] == ["generated_1.txt", "test.txt"]
    cloud_.services.put_object(other, "images/secret.jpg", b"not yours")
    theirs = store(env, other)
    with pytest.raises(PermissionDeniedError):
        theirs.get("images/secret.jpg")
    with pytest.raises(PermissionDeniedError):
        theirs.put("images/x.jpg", b"x")
    with pytest.raises(PermissionDeniedError):
        mine.delete("test.txt")  # granted read, list and write; not delete
    assert cloud_.services.list_objects(other) == ["images/secret.jpg"]


def test_thumbnailer_sends_its_results_but_cannot_publish_to_a_topic_it_was_not_granted(cloud_: Cloud) -> None:
    env = cloud_.env("thumbnailer")
    results = cloud_.named("queues", "thumbnail-results")
    message_id = messaging(env).send("results", '{"thumbnails": 1}')
    (got,) = cloud_.services.receive_messages(results, 10, 30)
    body = got.body if cloud_.name == "aws" else base64.b64decode(got.body).decode()  # MNS: as the SDK sent it
    assert (got.message_id, body, got.receive_count) == (message_id, '{"thumbnails": 1}', 1)
    topic = cloud_.named("topics", "outnotification-topic")
    with pytest.raises(PermissionDeniedError):
        messaging(with_topic(cloud_, env, "OUTBOX", topic)).publish("outbox", "not allowed")
    # The function that was granted it can: the same topic, the same call.
    assert messaging(cloud_.env("outnotification")).publish("outbox", "hello")
    assert [e.body for e in cloud_.events if isinstance(e, TopicMessage)] == ["hello"]
    # And the publisher cannot send to the queue it was not granted.
    other = {**cloud_.env("outnotification")}
    if cloud_.name == "aws":
        other["QUEUE_OUTBOX_URL"] = env["QUEUE_RESULTS_URL"]
    else:
        other["QUEUE_OUTBOX_NAME"] = results
    with pytest.raises(PermissionDeniedError):
        messaging(other).send("outbox", "not allowed")


def test_a_wrong_secret_is_refused(cloud_: Cloud) -> None:
    env = cloud_.env("output-object-storage")
    key = "AWS_SECRET_ACCESS_KEY" if cloud_.name == "aws" else "ALIBABA_CLOUD_ACCESS_KEY_SECRET"
    with pytest.raises(PermissionDeniedError):
        store({**env, key: "not-the-secret"}, cloud_.named("buckets", "outobjstorage")).get("test.txt")


def test_object_created_fires_for_objects_created_through_the_real_api(cloud_: Cloud) -> None:
    env = cloud_.env("thumbnailer")
    images = cloud_.named("buckets", "images")
    store(env, images).put("thumbnails/a.jpg", b"12345")
    cloud_.services.put_object(images, "images/b.jpg", b"123")
    event_name = "ObjectCreated:Put" if cloud_.name == "aws" else "ObjectCreated:PutObject"
    etags = ("827ccb0eea8a706c4c34a16891f84e7b", "202cb962ac59075b964b07152d234b70")
    if cloud_.name == "ali":
        etags = tuple(e.upper() for e in etags)
    got = [(e.bucket, e.key, e.size, e.etag, e.event_name) for e in cloud_.events if isinstance(e, ObjectCreated)]
    assert got == [
        (images, "thumbnails/a.jpg", 5, etags[0], event_name),
        (images, "images/b.jpg", 3, etags[1], event_name),
    ]


def test_declared_queues_redrive_to_their_dead_letter_queue(cloud_: Cloud) -> None:
    queue = cloud_.named("queues", "notification-queue")
    dlq = cloud_.named("queues", "notification-queue-dlq")
    sent = cloud_.services.send_message(queue, "poison")
    for attempt in range(1, 6):  # maxReceiveCount is 5
        (m,) = cloud_.services.receive_messages(queue, 10, 0)
        assert (m.message_id, m.receive_count) == (sent, attempt)
    assert cloud_.services.receive_messages(queue, 10, 0) == []
    (dead,) = cloud_.services.receive_messages(dlq, 10, 30)
    assert (dead.body if cloud_.name == "aws" else base64.b64decode(dead.body).decode()) == "poison"
    cloud_.services.delete_message(dlq, dead.receipt)
    assert cloud_.services.receive_messages(dlq, 10, 0) == []


def test_admin_operations_and_unknown_names(cloud_: Cloud) -> None:
    queue = cloud_.named("queues", "outnotification-queue")
    first = cloud_.services.send_message(queue, "a")
    second = cloud_.services.send_message(queue, "b")
    got = cloud_.services.receive_messages(queue, 10, 30)
    bodies = {"aws": ["a", "b"], "ali": ["YQ==", "Yg=="]}[cloud_.name]  # MNS: base64, as the SDK sends
    assert [(m.message_id, m.body) for m in got] == list(zip([first, second], bodies))
    assert cloud_.services.receive_messages(queue, 10, 30) == []  # invisible for 30 s
    for m in got:
        cloud_.services.delete_message(queue, m.receipt)
    with pytest.raises(UnknownResource, match=r"no queue 'nope'; queues: .*notification-queue-"):
        cloud_.services.send_message("nope", "x")
    with pytest.raises(UnknownResource, match=r"no bucket 'nope'; buckets: .*images-"):
        cloud_.services.put_object("nope", "k", b"")
    with pytest.raises(UnknownResource, match=r"no topic 'nope'; topics: notification-topic-"):
        cloud_.services.publish("nope", "x")
    fn = cloud_.fn("outnotification")
    topic = cloud_.named("topics", "outnotification-topic")
    where = f"{cloud_.topo.region}:{cloud_.topo.account}"
    if cloud_.name == "aws":
        action, resource = "sns:Publish", f"arn:aws:sns:{where}:{topic}"
    else:
        action, resource = "mns:PublishMessage", f"acs:mns:{where}:/topics/{topic}/messages"
    assert cloud_.services.authorize(fn, action, resource)
    assert not cloud_.services.authorize(fn, action, resource.replace(topic, "other"))


def test_function_environment_is_the_deployed_one_pointed_here(cloud_: Cloud) -> None:
    fn = cloud_.fn("thumbnailer")
    env = cloud_.services.function_environment(fn)
    changed = {k for k in fn.environment if env[k] != fn.environment[k]}
    if cloud_.name == "aws":
        assert changed == set()
        assert env["AWS_ENDPOINT_URL"] == cloud_.services.endpoints["s3"]
        assert env["AWS_ACCESS_KEY_ID"].startswith("ASIA") and env["AWS_SESSION_TOKEN"]
        assert env["AWS_REGION"] == cloud_.topo.region
    else:
        assert changed == {"BUCKET_IMAGES_ENDPOINT", "QUEUE_RESULTS_ENDPOINT"}
        assert env["BUCKET_IMAGES_ENDPOINT"] == cloud_.services.endpoints["oss"]
        assert env["QUEUE_RESULTS_ENDPOINT"] == cloud_.services.endpoints["mns"]
        assert env["ALIBABA_CLOUD_ACCESS_KEY_ID"].startswith("STS.") and env["ALIBABA_CLOUD_SECURITY_TOKEN"]
        assert (env["FC_REGION"], env["FC_ACCOUNT_ID"]) == (cloud_.topo.region, cloud_.topo.account)
    # Each function has its own identity.
    other = cloud_.services.function_environment(cloud_.fn("outnotification"))
    key = "AWS_ACCESS_KEY_ID" if cloud_.name == "aws" else "ALIBABA_CLOUD_ACCESS_KEY_ID"
    assert other[key] != env[key] != cloud_.services.admin_environment()[key]


def test_invalid_policies_are_refused_at_start(cloud: str, tmp_path: Path) -> None:
    topo = load(cloud, samples=["basic"])
    (fn,) = topo.functions.values()
    document = json.loads(json.dumps(fn.policies[0]))
    document["Statement"].append({**document["Statement"][0], "Sid": "Twice"})
    document["Statement"][0]["Sid"] = "Twice"
    broken = dataclasses.replace(fn, policies=(document,))
    services = Services(dataclasses.replace(topo, functions={fn.name: broken}), tmp_path / "w", print)
    with pytest.raises(PolicyError) as err:
        services.start()
    assert (err.value.function, err.value.policy, err.value.sid) == (fn.name, fn.policy_names[0], "Twice")
    assert services.endpoints == {} and not (tmp_path / "w").exists()


def test_stop_ends_everything_and_removes_its_data(cloud: str, tmp_path: Path) -> None:
    from moto import settings as moto_settings

    before = moto_settings.INITIAL_NO_AUTH_ACTION_COUNT
    topo = load(cloud, samples=["output_object_storage"])
    services = Services(topo, tmp_path / "w", print)
    services.start()
    assert (tmp_path / "w").is_dir()
    urls = set(services.endpoints.values())
    services.stop()
    services.stop()  # idempotent
    assert not (tmp_path / "w").exists()
    assert before == moto_settings.INITIAL_NO_AUTH_ACTION_COUNT
    for url in urls:
        with pytest.raises(urllib.error.URLError):
            urllib.request.urlopen(url, timeout=2)


def test_database_login_as_the_connected_function(cloud: str, tmp_path: Path) -> None:
    import psycopg

    from localcloud.postgres import find_bin_dir

    if find_bin_dir() is None:
        pytest.skip("PostgreSQL server binaries not found: apt-get install -y postgresql")
    topo = load(cloud, samples=["output_postgresql"])
    (db,) = topo.databases.values()
    with Services(topo, tmp_path / "w", print) as services:
        fn = next(f for f in topo.functions.values() if f.component == "outpg")
        env = services.function_environment(fn)
        p = db.env_prefix
        assert (env[p + "HOST"], env[p + "PORT"]) == ("127.0.0.1", str(services.postgres.port))
        # AWS: an RDS IAM token (not checkable here: that login is trusted on 127.0.0.1);
        # Alibaba Cloud: the account password the program generated, in the environment.
        password = env.get(p + "PASSWORD", "an-rds-iam-token")
        with psycopg.connect(
            host=env[p + "HOST"],
            port=int(env[p + "PORT"]),
            dbname=env[p + "NAME"],
            user=env[p + "USER"],
            password=password,
            sslmode=env[p + "SSLMODE"],
        ) as conn:
            row = conn.execute("SELECT current_user, current_database(), current_setting('ssl')").fetchone()
        assert row == ("outpguser", "outpgbase", "on")
        if cloud == "ali":
            with pytest.raises(psycopg.OperationalError):
                psycopg.connect(
                    host="127.0.0.1",
                    port=services.postgres.port,
                    dbname="outpgbase",
                    user="outpguser",
                    password="wrong",
                    sslmode="require",
                ).close()


def test_secrets_manager_is_authorized_per_secret(tmp_path: Path) -> None:
    """moto authorizes Secrets Manager against "*" unless told the secret's ARN (moto_hooks)."""
    import botocore.exceptions

    topo = load("aws", samples=["output_object_storage"])
    (fn,) = topo.functions.values()
    grant = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "SecretRead",
                "Effect": "Allow",
                "Action": ["secretsmanager:GetSecretValue"],
                # Secret ARNs end in a random suffix ("?" wildcards break moto 5.2.5's matcher).
                "Resource": [f"arn:aws:secretsmanager:{topo.region}:{topo.account}:secret:app-*"],
            }
        ],
    }
    fn = dataclasses.replace(fn, policies=(*fn.policies, grant), policy_names=(*fn.policy_names, "secret"))
    with Services(dataclasses.replace(topo, functions={fn.name: fn}), tmp_path / "w", print) as services:
        admin = _session(services.admin_environment()).client("secretsmanager", endpoint_url=services.endpoints["s3"])
        admin.create_secret(Name="app", SecretString="s3cret")
        admin.create_secret(Name="other", SecretString="not yours")
        mine = _session(services.function_environment(fn)).client(
            "secretsmanager", endpoint_url=services.endpoints["secretsmanager"]
        )
        assert mine.get_secret_value(SecretId="app")["SecretString"] == "s3cret"
        with pytest.raises(botocore.exceptions.ClientError) as err:
            mine.get_secret_value(SecretId="other")
        assert err.value.response["Error"]["Code"] == "AccessDeniedException"
        assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
