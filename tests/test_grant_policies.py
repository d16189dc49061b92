"""One function granted every kind of access twice: valid policies with unique statement ids.

IAM rejects a policy whose statement ids (Sid) repeat ("Statement IDs (SID) in a single policy
must be unique", IAM JSON policy reference); one statement per permission gathers the resources.
"""

from __future__ import annotations

import json
import re
from typing import Any

from pulumi_harness import ACCOUNT, REGION, deploy, resolve

from components.bucket import Bucket
from components.database import PgDatabase
from components.function import FunctionArgs, ServerlessFunction
from components.queue import Queue
from components.topic import Topic

SUFFIX = "t10x1"
PASSWORD = "Sup3r-Secret_42"


def _program(app: Any) -> dict[str, Any]:
    fn = ServerlessFunction("worker", FunctionArgs(code="output_object_storage"))
    buckets = [Bucket("files"), Bucket("archive")]
    for bucket in buckets:
        bucket.grant_read(fn)
    for bucket in buckets:
        bucket.grant_write(fn)
    for name in ("jobs", "retries"):
        Queue(name).grant_send(fn)
    for name in ("events", "audit"):
        Topic(name).grant_publish(fn)
    PgDatabase("tasks").connect(fn)
    return {"buckets": [b.bucket_name for b in buckets]}


def _statements(cloud: str) -> tuple[list[dict[str, Any]], list[str]]:
    d = deploy(cloud, _program, {"nameSuffix": SUFFIX, "dbPassword": PASSWORD})
    if cloud == "aws":
        doc = d.one("aws:iam/rolePolicy:RolePolicy", "worker-grants").json("policy")
        assert doc["Version"] == "2012-10-17"
    else:
        doc = d.one("alicloud:ram/policy:Policy", "worker-grants").json("policyDocument")
        assert doc["Version"] == "1"
    return doc["Statement"], resolve(d.outputs["buckets"])


def test_aws_two_grants_of_each_kind_give_one_statement_per_permission() -> None:
    statements, (files, archive) = _statements("aws")
    region, account = REGION["aws"], ACCOUNT["aws"]
    s3 = [f"arn:aws:s3:::{files}", f"arn:aws:s3:::{archive}"]
    expected = [
        ("ObjectsRead", ["s3:GetObject"], [f"{s3[0]}/*", f"{s3[1]}/*"]),
        ("ObjectsList", ["s3:ListBucket"], s3),
        ("ObjectsWrite", ["s3:PutObject"], [f"{s3[0]}/*", f"{s3[1]}/*"]),
        (
            "QueueSend",
            ["sqs:SendMessage"],
            [f"arn:aws:sqs:{region}:{account}:jobs-{SUFFIX}", f"arn:aws:sqs:{region}:{account}:retries-{SUFFIX}"],
        ),
        (
            "TopicPublish",
            ["sns:Publish"],
            [f"arn:aws:sns:{region}:{account}:events-{SUFFIX}", f"arn:aws:sns:{region}:{account}:audit-{SUFFIX}"],
        ),
    ]
    got = {st["Sid"]: st for st in statements}
    for sid, actions, resources in expected:
        assert got[sid] == {"Sid": sid, "Effect": "Allow", "Action": actions, "Resource": resources}
    assert got["DbConnect"]["Action"] == ["rds-db:connect"]
    assert got["DbConnect"]["Resource"] == [
        f"arn:aws:rds-db:{region}:{account}:dbuser:db-ABCDEFGHIJKLMNOPQRSTUVWXYZ/app"
    ]
    assert got["NetworkAttach"]["Resource"] == ["*"]
    sids = [st["Sid"] for st in statements]
    assert len(sids) == len(set(sids)) == len(expected) + 2, sids
    assert all(re.fullmatch(r"[A-Za-z0-9]+", sid) for sid in sids), sids  # IAM: alphanumeric only


def test_ali_two_grants_of_each_kind_give_one_statement_per_permission() -> None:
    statements, (files, archive) = _statements("ali")
    region, account = REGION["ali"], ACCOUNT["ali"]
    oss = [f"acs:oss:*:{account}:{files}", f"acs:oss:*:{account}:{archive}"]
    mns = f"acs:mns:{region}:{account}"
    assert statements == [
        {"Effect": "Allow", "Action": ["oss:GetObject"], "Resource": [f"{oss[0]}/*", f"{oss[1]}/*"]},
        {"Effect": "Allow", "Action": ["oss:ListObjects"], "Resource": oss},
        {"Effect": "Allow", "Action": ["oss:PutObject"], "Resource": [f"{oss[0]}/*", f"{oss[1]}/*"]},
        {
            "Effect": "Allow",
            "Action": ["mns:SendMessage"],
            "Resource": [f"{mns}:/queues/jobs-{SUFFIX}/messages", f"{mns}:/queues/retries-{SUFFIX}/messages"],
        },
        {
            "Effect": "Allow",
            "Action": ["mns:PublishMessage"],
            "Resource": [f"{mns}:/topics/events-{SUFFIX}/messages", f"{mns}:/topics/audit-{SUFFIX}/messages"],
        },
        {  # db.connect: FC attaches the function to the VPC with its own role (no ENI scope exists)
            "Effect": "Allow",
            "Action": [
                "vpc:DescribeVSwitchAttributes",
                "vpc:DescribeVpcAttribute",
                "ecs:CreateNetworkInterface",
                "ecs:DeleteNetworkInterface",
                "ecs:DescribeNetworkInterfaces",
                "ecs:CreateNetworkInterfacePermission",
                "ecs:DeleteNetworkInterfacePermission",
                "ecs:DescribeNetworkInterfacePermissions",
            ],
            "Resource": ["*"],
        },
    ]


def test_the_same_grant_twice_lists_its_resource_once(cloud: str) -> None:
    def program(app: Any) -> dict[str, Any]:
        fn = ServerlessFunction("worker", FunctionArgs(code="output_object_storage"))
        bucket = Bucket("files")
        bucket.grant_read(fn)
        bucket.grant_read(fn)
        return {"bucket": bucket.bucket_name}

    d = deploy(cloud, program, {"nameSuffix": SUFFIX})
    aws = cloud == "aws"
    token = "aws:iam/rolePolicy:RolePolicy" if aws else "alicloud:ram/policy:Policy"
    key = "policy" if aws else "policyDocument"
    statements = d.one(token, "worker-grants").json(key)["Statement"]
    bucket = resolve(d.outputs["bucket"])
    arn = f"arn:aws:s3:::{bucket}" if aws else f"acs:oss:*:{ACCOUNT['ali']}:{bucket}"
    assert [(st["Action"], st["Resource"]) for st in statements] == [
        ([f"{'s3' if cloud == 'aws' else 'oss'}:GetObject"], [f"{arn}/*"]),
        (["s3:ListBucket" if cloud == "aws" else "oss:ListObjects"], [arn]),
    ]


def test_a_policy_of_known_arns_is_the_document_itself_and_of_pending_arns_an_output() -> None:
    """Known ARNs (a function's own log group): the document string, no Output chain to wait on.
    An ARN still to come (a bucket's): an Output resolving to the same kind of document."""
    import pulumi
    from pulumi_harness import is_secret, resources_of

    from components.permissions import Grant, document, policy_output, statement

    known = ["arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/a:*"]

    def program(app: Any) -> dict[str, Any]:
        bucket = Bucket("files")
        return {
            "plain": policy_output("aws", [Grant("logs.write", known)]),
            # The native bucket's ARN: an Output until the engine answers.
            "pending": policy_output(
                "aws", [Grant("logs.write", known), Grant("objects.read", [bucket.native.bucket.arn])]
            ),
            "bucket": bucket,
        }

    d = deploy("aws", program)
    plain, pending = d.outputs["plain"], d.outputs["pending"]
    assert isinstance(plain, str)
    assert plain == document("aws", [statement("aws", Grant("logs.write", known), known)])
    assert isinstance(pending, pulumi.Output) and not is_secret(pending)
    arn = resolve(d.outputs["bucket"].native.bucket.arn)
    assert [st["Resource"] for st in json.loads(resolve(pending))["Statement"]] == [known, [arn]]
    assert d.outputs["bucket"].native.bucket in resources_of(pending)
