"""The cloud's data plane on 127.0.0.1, built from the topology, with each function's least privilege.

AWS: moto (in this process, ``ThreadedMotoServer``) serves S3, SQS, SNS, IAM, STS and Secrets
Manager with **IAM enforcement on** (``moto.settings.INITIAL_NO_AUTH_ACTION_COUNT = 0`` while
the services run; the previous value is restored by ``stop()``). Each function's role is created
in moto's IAM with exactly its generated policy documents, and the function gets the credentials
of an STS session of that role, as Lambda hands them out. moto then signs-checks every request
and evaluates the role's policies: a call outside them is ``AccessDenied``. moto 5.2.5
authorizes S3 (bucket/object ARNs) and SQS (queue ARN) requests against the resource; for SNS
and Secrets Manager it uses ``*``, which :mod:`localcloud.servers.moto_hooks` replaces by the
topic / secret ARN. The admin identity is an IAM user allowed everything.

Alibaba Cloud: the OSS and MNS servers of :mod:`localcloud.servers`. Each function gets an STS
style access key (``STS.…``, a secret and a security token, as FC sets them); both servers
verify the signature, then evaluate the function's RAM documents with :mod:`localcloud.policy`
and answer ``AccessDenied`` as OSS/MNS do. The admin key is unrestricted.

PostgreSQL: a throwaway cluster (TLS on, as RDS/ApsaraDB require ``sslmode=require``) when the
topology declares a database; its database and the functions' login are created as the deploy
would. On AWS the functions log in with an RDS IAM token (``DB_<B>_AUTH=iam``) that a local
server cannot check: that login is trusted on 127.0.0.1 instead (``pg_hba`` ``trust``), so the
driver's token path runs unchanged but the token itself is not verified.

Events: ``on_event`` receives :class:`ObjectCreated` for every object created in a declared
bucket, by any identity, through the real API or :meth:`Services.put_object`, and
:class:`TopicMessage` for every message published to a declared topic. Initial objects (the
program's ``BucketObjectv2`` / ``BucketObject``) are in place before ``start()`` returns and
fire no event: on the cloud they are created with the bucket, before its triggers matter.

Interface agreed in /work/notes/LOCALCLOUD-CONTRACT.md; changes only add, never remove or
rename. Added: :class:`UnknownResource`, ``Services.postgres``, ``Services.credentials(fn)``.
"""

from __future__ import annotations

import base64
import contextlib
import json
import logging
import secrets
import shutil
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from localcloud import policy
from localcloud.policy import PolicyError
from localcloud.ports import free_port
from localcloud.topology import FunctionSpec, Topology

__all__ = [
    "Event",
    "ObjectCreated",
    "PolicyError",
    "QueuedMessage",
    "Services",
    "TopicMessage",
    "UnknownResource",
]


@dataclass(frozen=True)
class ObjectCreated:  # emitted whenever ANY identity (a function, the CLI) creates an object
    bucket: str
    key: str
    size: int
    etag: str
    event_name: str  # the cloud's: "ObjectCreated:Put" (S3), "ObjectCreated:PutObject" (OSS)
    time: str  # ISO 8601 UTC, milliseconds: "2026-12-01T22:10:30.123Z"


@dataclass(frozen=True)
class TopicMessage:
    topic: str
    message_id: str
    body: str
    attributes: dict[str, str]
    time: str


@dataclass(frozen=True)
class QueuedMessage:
    """A message as the queue returns it. On Alibaba Cloud ``body`` is the raw MNS body: base64
    when sent by the SDKs, cloudfn's driver or :meth:`Services.send_message` (EventBridge's MNS
    source decodes it when the trigger says ``IsBase64Decode``)."""

    message_id: str
    receipt: str
    body: str
    attributes: dict[str, str]
    receive_count: int
    sent_time: str


Event = ObjectCreated | TopicMessage


class UnknownResource(LookupError):
    """A bucket, queue, topic or function the topology does not declare (the message names those that exist)."""


def now_iso() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _iso(epoch_s: float) -> str:
    return datetime.fromtimestamp(epoch_s, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


@dataclass(frozen=True)
class Credentials:
    access_key_id: str
    secret: str
    token: str


class Services:
    """The cloud's data plane on 127.0.0.1: moto[server] (S3, SQS, SNS, IAM, STS, Secrets Manager) with
    IAM enforcement for AWS; the OSS and MNS servers with RAM enforcement for Alibaba; PostgreSQL when the
    topology has a database. Creates every bucket (+ initial objects), queue, dead-letter queue and topic
    the topology declares. Refuses invalid policies at start (PolicyError naming function, policy, Sid)."""

    endpoints: dict[str, str]

    def __init__(self, topology: Topology, workdir: Path, on_event: Callable[[Event], None]):
        self.topology = topology
        self.workdir = Path(workdir)
        self.on_event = on_event
        self.endpoints = {}
        self.postgres: Any = None  # localcloud.postgres.PgCluster once started
        self._plane: _Plane | None = None
        self._db_logins: dict[str, Any] = {}  # database name -> PgDatabase
        self._stopped = False

    # -- lifecycle ------------------------------------------------------------------------------
    def start(self) -> None:
        """Validate every policy, start the servers, create every declared resource."""
        self.validate_policies()
        self.workdir.mkdir(parents=True, exist_ok=True)
        pg_thread: threading.Thread | None = None
        pg_error: list[BaseException] = []
        if self.topology.databases:
            # initdb takes seconds: overlap it with the other servers.
            def run_pg() -> None:
                try:
                    self._start_postgres()
                except BaseException as exc:  # re-raised below, in the caller's thread
                    pg_error.append(exc)

            pg_thread = threading.Thread(target=run_pg, name="localcloud-postgres", daemon=True)
            pg_thread.start()
        try:
            plane_cls = PLANES.get(self.topology.cloud)
            if plane_cls is None:
                raise ValueError(f"unknown cloud {self.topology.cloud!r}; known: {sorted(PLANES)}")
            self._plane = plane_cls(self)
            self._plane.start()
            self.endpoints.update(self._plane.endpoints)
            if pg_thread is not None:
                pg_thread.join()
                if pg_error:
                    raise pg_error[0]
                self.endpoints["postgres"] = f"postgresql://127.0.0.1:{self.postgres.port}"
        except BaseException:
            if pg_thread is not None:
                pg_thread.join()
            self.stop()
            raise

    def stop(self) -> None:
        """Stop every server this instance started and delete the working data; idempotent."""
        if self._stopped:
            return
        self._stopped = True
        if self._plane is not None:
            with contextlib.suppress(Exception):
                self._plane.stop()
        if self.postgres is not None:
            with contextlib.suppress(Exception):
                self.postgres.stop()
        shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> Services:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def validate_policies(self) -> None:
        """Refuse the first invalid document, as IAM/RAM would at creation (PolicyError)."""
        for fn in self.topology.functions.values():
            names = fn.policy_names or tuple(f"policy-{i + 1}" for i in range(len(fn.policies)))
            for name, document in zip(names, fn.policies):
                policy.check(document, self.topology.cloud, function=fn.name, policy=name)

    def _start_postgres(self) -> None:
        from localcloud.postgres import PgCluster, find_bin_dir

        bin_dir = find_bin_dir()
        if bin_dir is None:
            raise RuntimeError(
                "the topology declares a database but PostgreSQL's server binaries are missing "
                "(/usr/lib/postgresql/*/bin): apt-get install -y postgresql"
            )
        # Its own temporary directory, not the workdir: as root the server runs as ``nobody``, who
        # must be able to reach it (PgCluster.stop() deletes it).
        cluster = PgCluster(bin_dir, tls=True)
        self.postgres = cluster
        cluster.start()
        trusted: list[tuple[str, str]] = []
        for db in self.topology.databases.values():
            password = self._deployed_password(db.env_prefix) or secrets.token_urlsafe(16)
            self._db_logins[db.name] = cluster.create_database(name=db.database_name, user=db.user, password=password)
            if self._iam_auth(db.env_prefix):
                trusted.append((db.database_name, db.user))
        if trusted:
            # RDS IAM tokens cannot be checked locally: trust those logins on 127.0.0.1 only.
            hba = cluster.data / "pg_hba.conf"
            lines = "".join(f"host {d} {u} 127.0.0.1/32 trust\n" for d, u in trusted)
            hba.write_text(lines + hba.read_text())
            cluster._run(str(cluster.bin_dir / "pg_ctl"), "-D", str(cluster.data), "reload")

    def _deployed_password(self, prefix: str) -> str | None:
        for fn in self.topology.functions.values():
            if prefix and fn.environment.get(prefix + "PASSWORD"):
                return fn.environment[prefix + "PASSWORD"]
        return None

    def _iam_auth(self, prefix: str) -> bool:
        return any(prefix and fn.environment.get(prefix + "AUTH") == "iam" for fn in self.topology.functions.values())

    # -- identities -----------------------------------------------------------------------------
    def _running(self) -> _Plane:
        if self._plane is None or self._stopped:
            raise RuntimeError("the services are not running (call start())")
        return self._plane

    def function(self, name: str) -> FunctionSpec:
        fn = self.topology.functions.get(name)
        if fn is None:
            raise UnknownResource(f"no function {name!r}; functions: {', '.join(sorted(self.topology.functions))}")
        return fn

    def credentials(self, fn: FunctionSpec) -> Credentials:
        """The function's own credentials (limited to ``fn.policies``)."""
        return self._running().credentials[self.function(fn.name).name]

    def function_environment(self, fn: FunctionSpec) -> dict[str, str]:
        """The deployed environment with endpoints pointed at 127.0.0.1, the function's own
        credentials and the region/account variables the platform sets."""
        plane = self._running()
        env = {k: plane.rewrite(v) for k, v in fn.environment.items()}
        for db in self.topology.databases.values():
            login = self._db_logins.get(db.name)
            if login is None or not db.env_prefix or db.env_prefix + "HOST" not in env:
                continue
            env[db.env_prefix + "HOST"] = login.host
            env[db.env_prefix + "PORT"] = str(login.port)
        env.update(plane.identity_env(self.credentials(fn)))
        return env

    def admin_environment(self) -> dict[str, str]:
        """Unrestricted credentials and the endpoints, for the CLI and tests."""
        plane = self._running()
        return plane.identity_env(plane.admin)

    def authorize(self, fn: FunctionSpec, action: str, resource: str) -> bool:
        """Whether ``fn``'s policies allow ``action`` on ``resource`` (localcloud.policy's reading)."""
        return policy.is_allowed(self.function(fn.name).policies, action, resource)

    # -- data plane (admin identity) -------------------------------------------------------------
    def _bucket(self, name: str) -> str:
        if name not in self.topology.buckets:
            raise UnknownResource(f"no bucket {name!r}; buckets: {', '.join(sorted(self.topology.buckets)) or 'none'}")
        return name

    def _queue(self, name: str) -> str:
        declared = set(self.topology.queues)
        if name not in declared:
            raise UnknownResource(f"no queue {name!r}; queues: {', '.join(sorted(declared)) or 'none'}")
        return name

    def _topic(self, name: str) -> str:
        if name not in self.topology.topics:
            raise UnknownResource(f"no topic {name!r}; topics: {', '.join(sorted(self.topology.topics)) or 'none'}")
        return name

    def put_object(self, bucket: str, key: str, body: bytes) -> None:
        self._running().put_object(self._bucket(bucket), key, body)

    def get_object(self, bucket: str, key: str) -> bytes:
        return self._running().get_object(self._bucket(bucket), key)

    def list_objects(self, bucket: str, prefix: str = "") -> list[str]:
        return self._running().list_objects(self._bucket(bucket), prefix)

    def send_message(self, queue: str, body: str, attributes: dict[str, str] | None = None) -> str:
        return self._running().send_message(self._queue(queue), body, attributes or {})

    def receive_messages(self, queue: str, max_messages: int, visibility_timeout_s: int) -> list[QueuedMessage]:
        return self._running().receive_messages(self._queue(queue), max_messages, visibility_timeout_s)

    def delete_message(self, queue: str, receipt: str) -> None:
        self._running().delete_message(self._queue(queue), receipt)

    def publish(self, topic: str, body: str, attributes: dict[str, str] | None = None) -> str:
        return self._running().publish(self._topic(topic), body, attributes or {})

    # -- events ---------------------------------------------------------------------------------
    def _emit(self, event: Event) -> None:
        try:
            self.on_event(event)
        except Exception:  # a failing listener must not fail the request that caused the event
            logging.getLogger("localcloud").exception("on_event failed for %s", event)


class _Plane:
    """One cloud's servers and admin operations."""

    endpoints: dict[str, str]
    credentials: dict[str, Credentials]
    admin: Credentials

    def __init__(self, services: Services) -> None:
        self.services = services
        self.topology = services.topology
        self.endpoints = {}
        self.credentials = {}
        self.replacements: dict[str, str] = {}

    def rewrite(self, value: str) -> str:
        return self.replacements.get(value, value)

    def start(self) -> None:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def identity_env(self, creds: Credentials) -> dict[str, str]:
        raise NotImplementedError

    def put_object(self, bucket: str, key: str, body: bytes) -> None:
        raise NotImplementedError

    def get_object(self, bucket: str, key: str) -> bytes:
        raise NotImplementedError

    def list_objects(self, bucket: str, prefix: str) -> list[str]:
        raise NotImplementedError

    def send_message(self, queue: str, body: str, attributes: dict[str, str]) -> str:
        raise NotImplementedError

    def receive_messages(self, queue: str, max_messages: int, visibility_timeout_s: int) -> list[QueuedMessage]:
        raise NotImplementedError

    def delete_message(self, queue: str, receipt: str) -> None:
        raise NotImplementedError

    def publish(self, topic: str, body: str, attributes: dict[str, str]) -> str:
        raise NotImplementedError


ADMIN_USER = "localcloud-admin"
ALLOW_ALL = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}'
LAMBDA_TRUST = (
    '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},'
    '"Action":"sts:AssumeRole"}]}'
)


class _AwsPlane(_Plane):
    def start(self) -> None:
        from moto import settings as moto_settings
        from moto.iam.models import iam_backends
        from moto.server import ThreadedMotoServer
        from moto.sts.models import sts_backends

        from localcloud.servers import moto_hooks

        moto_hooks.install()
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        port = free_port()
        self.server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
        self.server.start()
        self.url = f"http://127.0.0.1:{port}"
        self.endpoints = {s: self.url for s in ("s3", "sqs", "sns", "secretsmanager", "iam", "sts")}
        self.previous_no_auth = moto_settings.INITIAL_NO_AUTH_ACTION_COUNT

        account, region = self.topology.account, self.topology.region
        iam = iam_backends[account]["aws"]
        iam.create_user(region, ADMIN_USER)
        key = iam.create_access_key(ADMIN_USER)
        iam.put_user_policy(ADMIN_USER, "all", ALLOW_ALL)
        self.admin = Credentials(key.access_key_id, key.secret_access_key, "")
        sts = sts_backends[account]["aws"]
        for fn in self.topology.functions.values():
            role_name = fn.role.rsplit("/", 1)[1]
            iam.create_role(role_name, LAMBDA_TRUST, "/", None, f"Execution role of {fn.name}", [], None)
            names = fn.policy_names or tuple(f"policy-{i + 1}" for i in range(len(fn.policies)))
            for name, document in zip(names, fn.policies):
                iam.put_role_policy(role_name, name, json.dumps(document))
            session = sts.assume_role(
                region_name=region,
                role_session_name=fn.name[:64],
                role_arn=fn.role,
                policy=None,
                duration=43200,
                external_id=None,
            )
            self.credentials[fn.name] = Credentials(
                session.access_key_id, session.secret_access_key, session.session_token
            )
        # From here on every request is signature-checked and authorized.
        moto_settings.INITIAL_NO_AUTH_ACTION_COUNT = 0
        self.enforcing = True

        import boto3

        session = boto3.session.Session(
            aws_access_key_id=self.admin.access_key_id,
            aws_secret_access_key=self.admin.secret,
            region_name=region,
        )
        self.s3 = session.client("s3", endpoint_url=self.url)
        self.sqs = session.client("sqs", endpoint_url=self.url)
        self.sns = session.client("sns", endpoint_url=self.url)
        self.queue_urls: dict[str, str] = {}
        for bucket in self.topology.buckets.values():
            self.s3.create_bucket(Bucket=bucket.name)
            for key_name, content in sorted(bucket.objects.items()):
                self.s3.put_object(Bucket=bucket.name, Key=key_name, Body=content)
        queues = sorted(self.topology.queues.values(), key=lambda q: q.dead_letter is not None)
        for q in queues:  # dead-letter queues first: the redrive policy names their ARN
            attributes = {"VisibilityTimeout": str(q.visibility_timeout_s)}
            if q.dead_letter is not None:
                attributes["RedrivePolicy"] = json.dumps(
                    {"deadLetterTargetArn": self.queue_arn(q.dead_letter), "maxReceiveCount": q.max_receive_count}
                )
            self.queue_urls[q.name] = self.sqs.create_queue(QueueName=q.name, Attributes=attributes)["QueueUrl"]
        for topic in self.topology.topics.values():
            self.sns.create_topic(Name=topic.name)

        from localcloud.servers import moto_hooks as hooks

        self.hooks = hooks
        hooks.object_listeners.append(self.on_object)
        hooks.publish_listeners.append(self.on_publish)

    def queue_arn(self, name: str) -> str:
        return f"arn:aws:sqs:{self.topology.region}:{self.topology.account}:{name}"

    def topic_arn(self, name: str) -> str:
        return f"arn:aws:sns:{self.topology.region}:{self.topology.account}:{name}"

    def on_object(self, bucket: str, key: str, size: int, etag: str, event_name: str) -> None:
        if bucket in self.topology.buckets:
            self.services._emit(ObjectCreated(bucket, key, size, etag, event_name, now_iso()))

    def on_publish(self, arn: str, message_id: str, body: str, attributes: dict[str, str]) -> None:
        name = arn.rsplit(":", 1)[1]
        if name in self.topology.topics and arn == self.topic_arn(name):
            self.services._emit(TopicMessage(name, message_id, body, attributes, now_iso()))

    def stop(self) -> None:
        from moto import settings as moto_settings

        hooks = getattr(self, "hooks", None)
        if hooks is not None:
            with contextlib.suppress(ValueError):
                hooks.object_listeners.remove(self.on_object)
            with contextlib.suppress(ValueError):
                hooks.publish_listeners.remove(self.on_publish)
        if getattr(self, "enforcing", False):
            moto_settings.INITIAL_NO_AUTH_ACTION_COUNT = self.previous_no_auth
        server = getattr(self, "server", None)
        if server is not None:
            # moto's backends are process-wide: forget this cloud's state.
            with contextlib.suppress(Exception):
                import urllib.request

                urllib.request.urlopen(
                    urllib.request.Request(f"{self.url}/moto-api/reset", method="POST"), timeout=10
                ).close()
            server.stop()

    def identity_env(self, creds: Credentials) -> dict[str, str]:
        env = {
            "AWS_ACCESS_KEY_ID": creds.access_key_id,
            "AWS_SECRET_ACCESS_KEY": creds.secret,
            "AWS_REGION": self.topology.region,
            "AWS_DEFAULT_REGION": self.topology.region,
            # boto3 >= 1.28 sends every service to this endpoint.
            "AWS_ENDPOINT_URL": self.url,
        }
        if creds.token:
            env["AWS_SESSION_TOKEN"] = creds.token
        return env

    def put_object(self, bucket: str, key: str, body: bytes) -> None:
        self.s3.put_object(Bucket=bucket, Key=key, Body=body)  # the send_event hook emits the event

    def get_object(self, bucket: str, key: str) -> bytes:
        return self.s3.get_object(Bucket=bucket, Key=key)["Body"].read()

    def list_objects(self, bucket: str, prefix: str) -> list[str]:
        keys: list[str] = []
        for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            keys.extend(o["Key"] for o in page.get("Contents", []))
        return keys

    def send_message(self, queue: str, body: str, attributes: dict[str, str]) -> str:
        extra: dict[str, Any] = {}
        if attributes:
            extra["MessageAttributes"] = {k: {"DataType": "String", "StringValue": v} for k, v in attributes.items()}
        return self.sqs.send_message(QueueUrl=self.queue_urls[queue], MessageBody=body, **extra)["MessageId"]

    def receive_messages(self, queue: str, max_messages: int, visibility_timeout_s: int) -> list[QueuedMessage]:
        out: list[QueuedMessage] = []
        seen: set[str] = set()
        while len(out) < max_messages:
            wanted = min(10, max_messages - len(out))
            batch = self.sqs.receive_message(
                QueueUrl=self.queue_urls[queue],
                MaxNumberOfMessages=wanted,
                VisibilityTimeout=visibility_timeout_s,
                WaitTimeSeconds=0,
                MessageSystemAttributeNames=["All"],
                MessageAttributeNames=["All"],
            ).get("Messages", [])
            full = len(batch) == wanted
            # With a visibility timeout of 0 a message is visible again at once: one batch holds it once.
            batch = [m for m in batch if m["MessageId"] not in seen]
            for m in batch:
                seen.add(m["MessageId"])
                system = m.get("Attributes", {})
                out.append(
                    QueuedMessage(
                        message_id=m["MessageId"],
                        receipt=m["ReceiptHandle"],
                        body=m["Body"],
                        attributes={
                            k: str(v.get("StringValue", v.get("BinaryValue", "")))
                            for k, v in m.get("MessageAttributes", {}).items()
                        },
                        receive_count=int(system.get("ApproximateReceiveCount", "1")),
                        sent_time=_iso(int(system.get("SentTimestamp", "0")) / 1000),
                    )
                )
            if not batch or not full:
                break  # SQS had no more (a further receive would count as another delivery)
        return out

    def delete_message(self, queue: str, receipt: str) -> None:
        self.sqs.delete_message(QueueUrl=self.queue_urls[queue], ReceiptHandle=receipt)

    def publish(self, topic: str, body: str, attributes: dict[str, str]) -> str:
        extra: dict[str, Any] = {}
        if attributes:
            extra["MessageAttributes"] = {k: {"DataType": "String", "StringValue": v} for k, v in attributes.items()}
        # The SNSBackend.publish hook emits the event.
        return self.sns.publish(TopicArn=self.topic_arn(topic), Message=body, **extra)["MessageId"]


class _AliPlane(_Plane):
    def start(self) -> None:
        from localcloud.servers.mns_server import MNSServer
        from localcloud.servers.oss_server import OssServer

        region, account = self.topology.region, self.topology.account
        self.admin = Credentials("LTAI5tLocalCloudAdmin" + secrets.token_hex(4), secrets.token_urlsafe(24), "")
        self.policies: dict[str, tuple[dict, ...] | None] = {self.admin.access_key_id: None}
        for fn in self.topology.functions.values():
            creds = Credentials(
                "STS." + secrets.token_hex(12), secrets.token_urlsafe(24), "CAIS" + secrets.token_hex(32)
            )
            self.credentials[fn.name] = creds
            self.policies[creds.access_key_id] = fn.policies

        self.oss = OssServer(region)
        state = self.oss.state
        state.record = False
        state.account = account
        state.authorize = self.decide
        for creds in [self.admin, *self.credentials.values()]:
            self.oss.add_credentials(creds.access_key_id, creds.secret, creds.token or None)
        self.oss.start()
        self.mns = MNSServer({c.access_key_id: (c.secret, c.token) for c in [self.admin, *self.credentials.values()]})
        self.mns.state.record = False
        self.mns.state.region = region
        self.mns.state.account = account
        self.mns.state.authorize = self.decide
        self.mns.start()
        self.endpoints = {"oss": self.oss.endpoint, "mns": self.mns.endpoint}
        # What the program injected, and where it lives here.
        for host in (f"oss-{region}-internal.aliyuncs.com", f"oss-{region}.aliyuncs.com"):
            self.replacements[host] = self.oss.endpoint
            self.replacements[f"https://{host}"] = self.oss.endpoint
        for scheme in ("https", "http"):
            for host in (f"{account}.mns.{region}.aliyuncs.com", f"{account}.mns.{region}-internal.aliyuncs.com"):
                self.replacements[f"{scheme}://{host}"] = self.mns.endpoint

        for bucket in self.topology.buckets.values():
            self.oss.create_bucket(bucket.name)
            for key_name, content in sorted(bucket.objects.items()):
                self.oss.put(bucket.name, key_name, content)
        for q in self.topology.queues.values():
            self.mns.create_queue(q.name)
        for q in self.topology.queues.values():
            if q.dead_letter is not None and q.max_receive_count is not None:
                self.mns.set_dead_letter(q.name, q.dead_letter, q.max_receive_count)
        for topic in self.topology.topics.values():
            self.mns.create_topic(topic.name)
        state.on_object_created = self.on_object
        self.mns.state.on_publish = self.on_publish

    def decide(self, access_key_id: str, action: str, resource: str) -> str | None:
        documents = self.policies.get(access_key_id, ())
        if documents is None:
            return None  # the admin key
        decision = policy.evaluate(documents, action, resource)
        return None if decision.allowed else decision.reason

    def on_object(self, bucket: str, key: str, obj: Any, event_name: str) -> None:
        if bucket in self.topology.buckets:
            self.services._emit(ObjectCreated(bucket, key, len(obj.data), obj.etag, event_name, now_iso()))

    def on_publish(self, topic: str, msg: Any) -> None:
        attributes = {"MessageTag": msg.tag} if msg.tag else {}
        self.services._emit(TopicMessage(topic, msg.id, msg.body, attributes, _iso(msg.enqueued)))

    def stop(self) -> None:
        for server in (getattr(self, "oss", None), getattr(self, "mns", None)):
            if server is not None:
                with contextlib.suppress(Exception):
                    server.stop()

    def identity_env(self, creds: Credentials) -> dict[str, str]:
        # What FC 3.0 sets for a function with a role (its documented environment variables).
        env = {
            "ALIBABA_CLOUD_ACCESS_KEY_ID": creds.access_key_id,
            "ALIBABA_CLOUD_ACCESS_KEY_SECRET": creds.secret,
            "FC_REGION": self.topology.region,
            "FC_ACCOUNT_ID": self.topology.account,
        }
        if creds.token:
            env["ALIBABA_CLOUD_SECURITY_TOKEN"] = creds.token
        return env

    def put_object(self, bucket: str, key: str, body: bytes) -> None:
        self.oss.put(bucket, key, body)  # fires on_object_created

    def get_object(self, bucket: str, key: str) -> bytes:
        try:
            return self.oss.objects(bucket)[key]
        except KeyError:
            raise UnknownResource(f"no object {key!r} in bucket {bucket!r}") from None

    def list_objects(self, bucket: str, prefix: str) -> list[str]:
        return sorted(k for k in self.oss.objects(bucket) if k.startswith(prefix))

    def send_message(self, queue: str, body: str, attributes: dict[str, str]) -> str:
        # As the MNS SDKs and cloudfn's driver send it: the body base64-encoded (the queue's
        # EventBridge trigger decodes it, IsBase64Decode). MNS messages carry no attributes.
        if attributes:
            raise ValueError(
                f"MNS queue messages have no attributes (got {sorted(attributes)}); carry them in the body"
            )
        return self.mns.send(queue, base64.b64encode(body.encode()).decode()).id

    def receive_messages(self, queue: str, max_messages: int, visibility_timeout_s: int) -> list[QueuedMessage]:
        import time

        out: list[QueuedMessage] = []
        with self.mns.state.lock:
            now = time.time()
            seen: set[str] = set()
            for _ in range(max_messages):
                msg = self.mns.next_visible(queue, now, visibility_timeout_s, seen)
                if msg is None:
                    break
                seen.add(msg.id)
                out.append(QueuedMessage(msg.id, msg.receipt, msg.body, {}, msg.dequeue_count, _iso(msg.enqueued)))
        return out

    def delete_message(self, queue: str, receipt: str) -> None:
        if not self.mns.delete(queue, receipt):
            raise UnknownResource(f"queue {queue!r}: the receipt handle is invalid or expired")

    def publish(self, topic: str, body: str, attributes: dict[str, str]) -> str:
        return self.mns.publish(topic, body, attributes.get("MessageTag", "")).id


PLANES: dict[str, type[_Plane]] = {"aws": _AwsPlane, "ali": _AliPlane}
