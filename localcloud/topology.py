"""The application's topology, built only from the resource graph the real program records.

``load(cloud)`` evaluates ``__main__.py`` under the mock engine (:mod:`localcloud.program`) and
reads what the program declared, from the native resources as they would be created:

- AWS: ``lambda.Function`` (+ its ``iam.Role`` and every ``iam.RolePolicy`` on it),
  ``s3.Bucket`` / ``s3.BucketObjectv2`` / ``s3.BucketNotification``, ``sqs.Queue`` (its
  ``redrivePolicy``), ``lambda.EventSourceMapping``, ``sns.Topic`` / ``sns.TopicSubscription``,
  ``scheduler.Schedule``, ``rds.Instance`` (+ the admin step's ``lambda.Invocation`` naming the
  functions' login).
- Alibaba Cloud: ``fc.V3Function`` (+ its ``ram.Role`` and every ``ram.Policy`` attached by a
  ``ram.RolePolicyAttachment``), ``oss.Bucket`` / ``oss.BucketObject``, ``fc.V3Trigger`` of type
  ``oss``, ``mns_topic``, ``eventbridge`` (MNS source) and ``timer``,
  ``message.ServiceQueue`` (its ``dlqPolicy``) / ``message.ServiceTopic``, ``rds.Instance`` /
  ``rds.RdsAccount`` / ``rds.Database``.

There is no second description of the app: a resource the program does not declare does not
exist here. Interface agreed in /work/notes/LOCALCLOUD-CONTRACT.md; changes only add, never
remove or rename.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from localcloud.program import SECRET_SIG, SIG_KEY, Evaluation, Registered, evaluate


@dataclass(frozen=True)
class FunctionSpec:
    name: str  # physical function name as deployed
    component: str  # the ServerlessFunction's logical name ("basic")
    code: str  # folder under functions/
    artifact: Path  # the zip the program built for this stack, as deployed
    handler: str  # as deployed: "entry_aws.handler" / "entry_ali.handler"
    runtime: str  # "python3.12", "python3.10", ...
    memory_mb: int
    timeout_s: int
    environment: dict[str, str]  # exactly as deployed (secrets revealed)
    role: str  # role ARN (acs:ram::... / arn:aws:iam::...)
    policies: tuple[dict, ...]  # every policy document attached to that role (decoded JSON)
    vpc: bool
    # Added after the contract: the name of each document in ``policies`` (same order): the
    # RolePolicy's name on AWS, the RAM policy name on Alibaba Cloud.
    policy_names: tuple[str, ...] = ()


@dataclass(frozen=True)
class Notification:  # object created -> function
    function: str
    events: tuple[str, ...]
    prefix: str
    suffix: str


@dataclass(frozen=True)
class BucketSpec:
    name: str
    component: str
    notifications: tuple[Notification, ...]
    objects: dict[str, bytes]


@dataclass(frozen=True)
class QueueSubscription:
    function: str
    batch_size: int
    window_s: int
    report_batch_item_failures: bool  # AWS ESM FunctionResponseTypes
    retry_attempts: int | None  # Alibaba EventBridge retry before dead-letter (None on AWS)
    dead_letter: str | None  # Alibaba: the trigger's dead-letter queue name


@dataclass(frozen=True)
class QueueSpec:
    name: str
    component: str
    dead_letter: str | None
    max_receive_count: int | None
    visibility_timeout_s: int
    subscriptions: tuple[QueueSubscription, ...]


@dataclass(frozen=True)
class TopicSpec:
    name: str
    component: str
    subscriptions: tuple[str, ...]  # function names
    format: str  # "JSON"/"STREAM" on Alibaba, "sns" on AWS


@dataclass(frozen=True)
class ScheduleSpec:
    name: str
    component: str
    function: str
    expression: str  # cloud-native, exactly as deployed
    timezone: str | None
    payload: str  # exactly the input/payload string as deployed (placeholders left in)
    enabled: bool


@dataclass(frozen=True)
class DatabaseSpec:
    name: str
    component: str
    database_name: str
    user: str
    engine_version: str
    env_prefix: str  # "DB_<B>_" : the settings the connected functions read


@dataclass(frozen=True)
class Topology:
    cloud: str
    region: str
    account: str
    project_dir: Path
    functions: dict[str, FunctionSpec]
    buckets: dict[str, BucketSpec]
    queues: dict[str, QueueSpec]
    topics: dict[str, TopicSpec]
    schedules: dict[str, ScheduleSpec]
    databases: dict[str, DatabaseSpec]


def load(
    cloud: str,
    *,
    samples: list[str] | None = None,
    project_dir: Path | None = None,
    config: dict[str, object] | None = None,
) -> Topology:
    """Evaluate the program (project_dir/__main__.py) under mocks for that cloud and build its topology."""
    return from_evaluation(evaluate(cloud, project_dir=project_dir, config=config, samples=samples))


class TopologyError(ValueError):
    """The graph holds something the local cloud cannot place (named in the message)."""


# Pulumi's marker for a secret value in serialized inputs (sdk/python/lib/pulumi/runtime/rpc.py).


def reveal(value: Any) -> Any:
    """``value`` with every secret wrapper replaced by the plain value (the local cloud runs it)."""
    if isinstance(value, dict):
        if value.get(SIG_KEY) == SECRET_SIG:
            return reveal(value.get("value"))
        return {k: reveal(v) for k, v in value.items()}
    if isinstance(value, list):
        return [reveal(v) for v in value]
    return value


def _object_body(o: Registered) -> bytes:
    """An object's bytes: its inline ``content``, or the file its ``source`` names (a function's
    zip in the artifact bucket; a relative path is the program directory's, as Pulumi reads it)."""
    if o.inputs.get("source") is not None:
        source = o.inputs["source"]
        path = Path(getattr(source, "path", source))
        if not path.is_absolute():
            from components.paths import project_dir

            path = project_dir() / path
        return path.read_bytes()
    return str(reveal(o.inputs.get("content", ""))).encode()


def _doc(value: Any) -> Any:
    value = reveal(value)
    return json.loads(value) if isinstance(value, str) else value


def _int(value: Any) -> int:
    return int(reveal(value))


def from_evaluation(ev: Evaluation) -> Topology:
    reader = _AwsReader(ev) if ev.cloud == "aws" else _AliReader(ev)
    functions = reader.functions()
    return Topology(
        cloud=ev.cloud,
        region=ev.region,
        account=ev.account,
        project_dir=ev.project_dir,
        functions=functions,
        buckets=reader.buckets(),
        queues=reader.queues(),
        topics=reader.topics(),
        schedules=reader.schedules(),
        databases=reader.databases(functions),
    )


class _Reader:
    def __init__(self, ev: Evaluation) -> None:
        self.ev = ev
        self.by_type: dict[str, list[Registered]] = {}
        for r in ev.resources:
            self.by_type.setdefault(r.type, []).append(r)

    def of(self, typ: str) -> list[Registered]:
        return self.by_type.get(typ, [])

    def by_id(self, typ: str, ident: str) -> Registered:
        for r in self.of(typ):
            if r.id == ident:
                return r
        raise TopologyError(f"no {typ} with id {ident!r}")

    def artifact(self, fn: Registered, sha256_hex: str) -> tuple[str, Path]:
        built = self.ev.artifacts.get(sha256_hex)
        if built is None:
            raise TopologyError(f"function {fn.name!r}: its code is no artifact the program built")
        return built.code_dir.name, built.path

    def function_by_arn(self, arn: str) -> str:
        name = self.arn_to_function.get(arn)
        if name is None:
            raise TopologyError(f"no function with ARN {arn!r}; known: {sorted(self.arn_to_function)}")
        return name

    arn_to_function: dict[str, str]

    def databases(self, functions: dict[str, FunctionSpec]) -> dict[str, DatabaseSpec]:
        out = {}
        for name, component, database, user, version, host in self.database_rows():
            prefixes = sorted(
                {
                    key[: -len("HOST")]
                    for fn in functions.values()
                    for key, value in fn.environment.items()
                    if re.fullmatch(r"DB_[A-Z0-9_]+_HOST", key)
                    and value == host
                    and fn.environment.get(key[: -len("HOST")] + "USER") == user
                }
            )
            if len(prefixes) > 1:
                raise TopologyError(f"database {name!r}: functions read it under several prefixes {prefixes}")
            out[name] = DatabaseSpec(
                name=name,
                component=component,
                database_name=database,
                user=user,
                engine_version=version,
                env_prefix=prefixes[0] if prefixes else "",
            )
        return out


class _AwsReader(_Reader):
    def __init__(self, ev: Evaluation) -> None:
        super().__init__(ev)
        self.arn_to_function = {r.state["arn"]: r.inputs["name"] for r in self.of("aws:lambda/function:Function")}

    def functions(self) -> dict[str, FunctionSpec]:
        out = {}
        for r in self.of("aws:lambda/function:Function"):
            i = reveal(r.inputs)
            roles = [x for x in self.of("aws:iam/role:Role") if x.state.get("arn") == i["role"]]
            if len(roles) != 1:
                raise TopologyError(f"function {r.name!r}: role {i['role']!r} is not declared once")
            attached = [p for p in self.of("aws:iam/rolePolicy:RolePolicy") if p.inputs["role"] == roles[0].id]
            policies = tuple(_doc(p.inputs["policy"]) for p in attached)
            policy_names = tuple(p.inputs.get("name") or p.name for p in attached)
            digest = base64.b64decode(i["sourceCodeHash"]).hex()
            code, path = self.artifact(r, digest)
            out[i["name"]] = FunctionSpec(
                name=i["name"],
                component=r.name,
                code=code,
                artifact=path,
                handler=i["handler"],
                runtime=i["runtime"],
                memory_mb=_int(i.get("memorySize", 128)),
                timeout_s=_int(i.get("timeout", 3)),
                environment={k: str(v) for k, v in ((i.get("environment") or {}).get("variables") or {}).items()},
                role=i["role"],
                policies=policies,
                vpc=bool(i.get("vpcConfig")),
                policy_names=policy_names,
            )
        return out

    def buckets(self) -> dict[str, BucketSpec]:
        out = {}
        for r in self.of("aws:s3/bucket:Bucket"):
            name = r.inputs["bucket"]
            notifications: list[Notification] = []
            for n in self.of("aws:s3/bucketNotification:BucketNotification"):
                if n.inputs["bucket"] != name:
                    continue
                for entry in reveal(n.inputs.get("lambdaFunctions") or []):
                    notifications.append(
                        Notification(
                            function=self.function_by_arn(entry["lambdaFunctionArn"]),
                            events=tuple(entry["events"]),
                            prefix=entry.get("filterPrefix", ""),
                            suffix=entry.get("filterSuffix", ""),
                        )
                    )
            objects = {
                o.inputs["key"]: _object_body(o)
                for o in self.of("aws:s3/bucketObjectv2:BucketObjectv2")
                if o.inputs["bucket"] == name
            }
            out[name] = BucketSpec(name, r.name, tuple(notifications), objects)
        return out

    def queues(self) -> dict[str, QueueSpec]:
        out = {}
        for r in self.of("aws:sqs/queue:Queue"):
            name = r.inputs["name"]
            redrive = _doc(r.inputs["redrivePolicy"]) if r.inputs.get("redrivePolicy") else None
            subs = tuple(
                QueueSubscription(
                    function=self.function_by_arn(m.inputs["functionName"]),
                    batch_size=_int(m.inputs.get("batchSize", 10)),
                    window_s=_int(m.inputs.get("maximumBatchingWindowInSeconds", 0)),
                    report_batch_item_failures="ReportBatchItemFailures"
                    in (m.inputs.get("functionResponseTypes") or []),
                    retry_attempts=None,
                    dead_letter=None,
                )
                for m in self.of("aws:lambda/eventSourceMapping:EventSourceMapping")
                if m.inputs["eventSourceArn"] == r.state["arn"]
            )
            out[name] = QueueSpec(
                name=name,
                component=r.name,
                dead_letter=redrive["deadLetterTargetArn"].rsplit(":", 1)[1] if redrive else None,
                max_receive_count=int(redrive["maxReceiveCount"]) if redrive else None,
                visibility_timeout_s=_int(r.inputs.get("visibilityTimeoutSeconds", 30)),
                subscriptions=subs,
            )
        return out

    def topics(self) -> dict[str, TopicSpec]:
        out = {}
        for r in self.of("aws:sns/topic:Topic"):
            subs = tuple(
                self.function_by_arn(s.inputs["endpoint"])
                for s in self.of("aws:sns/topicSubscription:TopicSubscription")
                if s.inputs["topic"] == r.state["arn"] and s.inputs["protocol"] == "lambda"
            )
            out[r.inputs["name"]] = TopicSpec(r.inputs["name"], r.name, subs, "sns")
        return out

    def schedules(self) -> dict[str, ScheduleSpec]:
        out = {}
        for r in self.of("aws:scheduler/schedule:Schedule"):
            i = reveal(r.inputs)
            out[i["name"]] = ScheduleSpec(
                name=i["name"],
                component=r.name,
                function=self.function_by_arn(i["target"]["arn"]),
                expression=i["scheduleExpression"],
                timezone=i.get("scheduleExpressionTimezone"),
                payload=i["target"].get("input", ""),
                enabled=i.get("state", "ENABLED") == "ENABLED",
            )
        return out

    def database_rows(self) -> list[tuple[str, str, str, str, str, str]]:
        rows = []
        for r in self.of("aws:rds/instance:Instance"):
            # The functions' login: what the admin step creates at deploy (its Invocation input).
            users = [
                json.loads(inv.inputs["input"])["user"]
                for inv in self.of("aws:lambda/invocation:Invocation")
                if (inv.inputs.get("triggers") or {}).get("instance") == r.state.get("resourceId")
            ]
            if len(users) != 1:
                raise TopologyError(f"database {r.name!r}: expected one login step, found {len(users)}")
            rows.append(
                (
                    r.inputs["identifier"],
                    r.name,
                    r.inputs["dbName"],
                    users[0],
                    r.inputs["engineVersion"],
                    r.state["address"],
                )
            )
        return rows


# EventBridge push retry strategies (EventBridge "Retry policies and dead-letter queues"):
# BACKOFF_RETRY retries 3 times, EXPONENTIAL_DECAY_RETRY 176 times over one day.
RETRY_ATTEMPTS = {"BACKOFF_RETRY": 3, "EXPONENTIAL_DECAY_RETRY": 176}


class _AliReader(_Reader):
    def __init__(self, ev: Evaluation) -> None:
        super().__init__(ev)
        self.arn_to_function = {
            r.state["functionArn"]: r.inputs["functionName"] for r in self.of("alicloud:fc/v3Function:V3Function")
        }
        self.names = set(self.arn_to_function.values())

    def triggers(self, kind: str) -> list[tuple[Registered, Any]]:
        return [
            (t, _doc(t.inputs["triggerConfig"]))
            for t in self.of("alicloud:fc/v3Trigger:V3Trigger")
            if t.inputs["triggerType"] == kind
        ]

    def function_named(self, name: str) -> str:
        if name not in self.names:
            raise TopologyError(f"no function named {name!r}; known: {sorted(self.names)}")
        return name

    def functions(self) -> dict[str, FunctionSpec]:
        out = {}
        for r in self.of("alicloud:fc/v3Function:V3Function"):
            i = reveal(r.inputs)
            roles = [x for x in self.of("alicloud:ram/role:Role") if x.state.get("arn") == i["role"]]
            if len(roles) != 1:
                raise TopologyError(f"function {r.name!r}: role {i['role']!r} is not declared once")
            role_name = roles[0].inputs["roleName"]
            policy_names = [
                a.inputs["policyName"]
                for a in self.of("alicloud:ram/rolePolicyAttachment:RolePolicyAttachment")
                if a.inputs["roleName"] == role_name
            ]
            documents = {p.inputs["policyName"]: p for p in self.of("alicloud:ram/policy:Policy")}
            missing = [n for n in policy_names if n not in documents]
            if missing:
                raise TopologyError(f"function {r.name!r}: attached policies {missing} are not declared")
            policies = tuple(_doc(documents[n].inputs["policyDocument"]) for n in policy_names)
            policy_names = tuple(policy_names)
            # The code is the artifact-bucket object the function names (components/artifacts.py).
            (obj,) = [
                o
                for o in self.of("alicloud:oss/bucketObject:BucketObject")
                if (o.inputs["bucket"], o.inputs["key"]) == (i["code"]["ossBucketName"], i["code"]["ossObjectName"])
            ]
            digest = hashlib.sha256(_object_body(obj)).hexdigest()
            code, path = self.artifact(r, digest)
            out[i["functionName"]] = FunctionSpec(
                name=i["functionName"],
                component=r.name,
                code=code,
                artifact=path,
                handler=i["handler"],
                runtime=i["runtime"],
                memory_mb=_int(i.get("memorySize", 128)),
                timeout_s=_int(i.get("timeout", 3)),
                environment={k: str(v) for k, v in (i.get("environmentVariables") or {}).items()},
                role=i["role"],
                policies=policies,
                vpc=bool(i.get("vpcConfig")),
                policy_names=policy_names,
            )
        return out

    def buckets(self) -> dict[str, BucketSpec]:
        out = {}
        triggers = self.triggers("oss")
        for r in self.of("alicloud:oss/bucket:Bucket"):
            name = r.inputs["bucket"]
            notifications = tuple(
                Notification(
                    function=self.function_named(t.inputs["functionName"]),
                    events=tuple(config["events"]),
                    prefix=config.get("filter", {}).get("key", {}).get("prefix", ""),
                    suffix=config.get("filter", {}).get("key", {}).get("suffix", ""),
                )
                for t, config in triggers
                # source_arn: acs:oss:<region>:<account>:<bucket>
                if t.inputs["sourceArn"].split(":", 4)[4] == name
            )
            objects = {
                o.inputs["key"]: _object_body(o)
                for o in self.of("alicloud:oss/bucketObject:BucketObject")
                if o.inputs["bucket"] == name
            }
            out[name] = BucketSpec(name, r.name, notifications, objects)
        return out

    def queues(self) -> dict[str, QueueSpec]:
        out = {}
        triggers = self.triggers("eventbridge")
        for r in self.of("alicloud:message/serviceQueue:ServiceQueue"):
            name = r.inputs["queueName"]
            dlq = reveal(r.inputs.get("dlqPolicy") or {})
            subs = []
            for t, config in triggers:
                source = config["eventSourceConfig"]
                if source.get("eventSourceType") != "MNS":
                    continue
                if source["eventSourceParameters"]["sourceMNSParameters"]["QueueName"] != name:
                    continue
                run = config.get("runOptions", {})
                window = run.get("batchWindow", {})
                dead = (run.get("deadLetterQueue") or {}).get("Arn")
                strategy = (run.get("retryStrategy") or {}).get("PushRetryStrategy")
                subs.append(
                    QueueSubscription(
                        function=self.function_named(t.inputs["functionName"]),
                        batch_size=int(window.get("CountBasedWindow", 1)),
                        window_s=int(window.get("TimeBasedWindow", 0)),
                        report_batch_item_failures=False,
                        retry_attempts=RETRY_ATTEMPTS.get(strategy or ""),
                        # acs:mns:<region>:<account>:/queues/<name>
                        dead_letter=dead.rsplit("/", 1)[1] if dead else None,
                    )
                )
            enabled = bool(dlq.get("enabled"))
            out[name] = QueueSpec(
                name=name,
                component=r.name,
                dead_letter=dlq.get("deadLetterTargetQueue") if enabled else None,
                max_receive_count=int(dlq["maxReceiveCount"]) if enabled else None,
                visibility_timeout_s=_int(r.inputs.get("visibilityTimeout", 30)),
                subscriptions=tuple(subs),
            )
        return out

    def topics(self) -> dict[str, TopicSpec]:
        out = {}
        triggers = self.triggers("mns_topic")
        for r in self.of("alicloud:message/serviceTopic:ServiceTopic"):
            name = r.inputs["topicName"]
            mine = [(t, c) for t, c in triggers if t.inputs["sourceArn"].endswith(f":/topics/{name}")]
            formats = {c.get("notifyContentFormat", "STREAM") for _, c in mine}
            if len(formats) > 1:
                raise TopologyError(f"topic {name!r}: subscribers use several formats {sorted(formats)}")
            out[name] = TopicSpec(
                name,
                r.name,
                tuple(self.function_named(t.inputs["functionName"]) for t, _ in mine),
                # FC's default notifyContentFormat is STREAM.
                formats.pop() if formats else "STREAM",
            )
        return out

    def schedules(self) -> dict[str, ScheduleSpec]:
        out = {}
        for t, config in self.triggers("timer"):
            expression = config["cronExpression"]
            tz = re.match(r"CRON_TZ=(\S+) ", expression)
            out[t.inputs["triggerName"]] = ScheduleSpec(
                name=t.inputs["triggerName"],
                component=t.name,
                function=self.function_named(t.inputs["functionName"]),
                expression=expression,
                timezone=tz.group(1) if tz else None,
                payload=config.get("payload", ""),
                enabled=bool(config.get("enable", True)),
            )
        return out

    def database_rows(self) -> list[tuple[str, str, str, str, str, str]]:
        rows = []
        for r in self.of("alicloud:rds/instance:Instance"):
            accounts = [
                a.inputs["accountName"]
                for a in self.of("alicloud:rds/rdsAccount:RdsAccount")
                if a.inputs.get("dbInstanceId") == r.id
            ]
            dbs = [
                d.inputs["dataBaseName"]
                for d in self.of("alicloud:rds/database:Database")
                if d.inputs.get("instanceId") == r.id
            ]
            if len(accounts) != 1 or len(dbs) != 1:
                raise TopologyError(
                    f"database {r.name!r}: expected one account and one database, found {accounts} {dbs}"
                )
            rows.append(
                (
                    r.inputs["instanceName"],
                    r.name,
                    dbs[0],
                    accounts[0],
                    r.inputs["engineVersion"],
                    r.state["connectionString"],
                )
            )
        return rows
