"""The policy pack (policy/): the sample app passes it on both stacks, and every invariant catches
a resource injected to break it."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pulumi
import pulumi_alicloud as alicloud
import pulumi_aws as aws
import pytest
from policy_runner import Finding, run_pack
from pulumi_harness import deploy
from pulumi_policy import Secret

from samples import compose
from tools.capture import Registration, recording

# A fresh stack (nothing configured: Alibaba's database password generated) and one with the
# password given, which takes another path into the account and the environment.
SAMPLE_CONFIG: dict[str, dict[str, Any]] = {"aws": {}, "ali": {}, "ali-given": {"dbPassword": "S0me-Long-Passw0rd"}}


def _record(cloud: str, program: Callable[[Any], Any], config: dict[str, Any] | None = None) -> list[Registration]:
    with recording() as found:
        deploy(cloud, program, config)
    return found


@pytest.fixture(scope="module", params=sorted(SAMPLE_CONFIG))
def sample_graph(request: pytest.FixtureRequest) -> tuple[str, list[Registration]]:
    cloud = request.param.split("-")[0]
    return cloud, _record(cloud, compose, SAMPLE_CONFIG[request.param])


def test_sample_app_passes_every_policy(sample_graph: tuple[str, list[Registration]]) -> None:
    cloud, graph = sample_graph
    violations, remediations = run_pack(graph)
    assert violations == []
    assert remediations == []
    # Not vacuous: the graph holds what each policy inspects.
    types = {r.type for r in graph}
    documents = {"aws": "aws:iam/rolePolicy:RolePolicy", "ali": "alicloud:ram/policy:Policy"}[cloud]
    buckets = {"aws": "aws:s3/bucket:Bucket", "ali": "alicloud:oss/bucket:Bucket"}[cloud]
    databases = {"aws": "aws:rds/instance:Instance", "ali": "alicloud:rds/instance:Instance"}[cloud]
    assert {documents, buckets, databases} <= types
    assert sum(r.type == buckets for r in graph) >= 2


def test_the_sample_app_grants_star_only_for_network_actions_on_aws() -> None:
    """The one "*" the app grants is the ENI set, and the pack knows those actions."""
    graph = _record("aws", compose)
    starred = set()
    for reg in graph:
        if reg.type != "aws:iam/rolePolicy:RolePolicy":
            continue
        for st in json.loads(reg.inputs["policy"])["Statement"]:
            if st["Resource"] == "*" or st["Resource"] == ["*"]:
                starred.update(st["Action"])
    assert starred and all(a.startswith("ec2:") for a in starred), starred


def _caught(cloud: str, program: Callable[[Any], Any]) -> list[Finding]:
    violations, _ = run_pack(_record(cloud, program))
    return violations


def _role_policy(document: dict[str, Any]) -> Callable[[Any], Any]:
    def program(app: Any) -> None:
        role = aws.iam.Role("r", assume_role_policy=json.dumps({"Version": "2012-10-17", "Statement": []}))
        aws.iam.RolePolicy("p", role=role.id, policy=json.dumps(document))

    return program


def _ram_policy(document: dict[str, Any]) -> Callable[[Any], Any]:
    def program(app: Any) -> None:
        alicloud.ram.Policy("p", policy_name="p", policy_document=json.dumps(document))

    return program


def _doc(action: Any, resource: Any, *, key: str = "Action") -> dict[str, Any]:
    return {"Version": "1", "Statement": [{"Effect": "Allow", key: action, "Resource": resource}]}


WILDCARDS = [
    ("aws", _role_policy(_doc("s3:*", "arn:aws:s3:::b/*")), "s3:*"),
    ("aws", _role_policy(_doc(["s3:GetObject", "*"], "arn:aws:s3:::b/*")), "'*'"),
    ("aws", _role_policy(_doc("s3:Get?bject", "arn:aws:s3:::b/*")), "s3:Get?bject"),
    ("aws", _role_policy(_doc("iam:PassRole", "*", key="NotAction")), "NotAction"),
    ("ali", _ram_policy(_doc("oss:*", "acs:oss:*:1:b/*")), "oss:*"),
    ("ali", _ram_policy(_doc(["mns:Send*"], "acs:mns:*:1:/queues/q")), "mns:Send*"),
]


@pytest.mark.parametrize(("cloud", "program", "needle"), WILDCARDS)
def test_wildcard_actions_are_caught(cloud: str, program: Callable[[Any], Any], needle: str) -> None:
    found = [v for v in _caught(cloud, program) if v.policy == "no-wildcard-actions"]
    assert len(found) == 1 and needle in found[0].message, found


def test_lambda_permission_with_a_wildcard_action_is_caught() -> None:
    def program(app: Any) -> None:
        aws.lambda_.Permission("perm", action="lambda:*", function="f", principal="s3.amazonaws.com")

    found = [v for v in _caught("aws", program) if v.policy == "no-wildcard-actions"]
    assert [v.message for v in found] == ["action 'lambda:*': name the action (lambda:InvokeFunction)"]


STARS = [
    ("aws", _role_policy(_doc("s3:GetObject", "*")), "['s3:GetObject']"),
    ("aws", _role_policy(_doc(["ec2:CreateNetworkInterface", "sqs:SendMessage"], "*")), "['sqs:SendMessage']"),
    ("ali", _ram_policy(_doc("oss:GetObject", "*")), "['oss:GetObject']"),
    ("ali", _ram_policy(_doc("fc:InvokeFunction", ["acs:fc:*:1:functions/f", "*"])), "['fc:InvokeFunction']"),
]


@pytest.mark.parametrize(("cloud", "program", "needle"), STARS)
def test_resource_star_for_scoped_actions_is_caught(cloud: str, program: Callable[[Any], Any], needle: str) -> None:
    found = [v for v in _caught(cloud, program) if v.policy == "resource-star-only-where-needed"]
    assert len(found) == 1 and needle in found[0].message, found


def test_resource_star_for_network_interface_actions_passes() -> None:
    program = _role_policy(_doc(["ec2:CreateNetworkInterface", "ec2:DescribeNetworkInterfaces"], "*"))
    assert _caught("aws", program) == []


def _s3_bucket(*, block: dict[str, bool] | None, sse: bool, acl: str | None = None) -> Callable[[Any], Any]:
    def program(app: Any) -> None:
        bucket = aws.s3.Bucket("b", bucket="b-1", acl=acl)
        if block is not None:
            aws.s3.BucketPublicAccessBlock("pab", bucket=bucket.id, **block)
        if sse:
            aws.s3.BucketServerSideEncryptionConfiguration(
                "sse",
                bucket=bucket.id,
                rules=[{"apply_server_side_encryption_by_default": {"sse_algorithm": "AES256"}}],
            )

    return program


ALL_ON = {
    "block_public_acls": True,
    "block_public_policy": True,
    "ignore_public_acls": True,
    "restrict_public_buckets": True,
}


def _oss_bucket(*, acl: str | None, block: bool | None, sse: bool) -> Callable[[Any], Any]:
    def program(app: Any) -> None:
        rule = {"sse_algorithm": "AES256"} if sse else None
        bucket = alicloud.oss.Bucket("b", bucket="b-1", server_side_encryption_rule=rule)
        if acl is not None:
            alicloud.oss.BucketAcl("acl", bucket=bucket.id, acl=acl)
        if block is not None:
            alicloud.oss.BucketPublicAccessBlock("pab", bucket=bucket.id, block_public_access=block)

    return program


BUCKETS = [
    ("aws", _s3_bucket(block=None, sse=True), "no public access block"),
    ("aws", _s3_bucket(block={**ALL_ON, "block_public_policy": False}, sse=True), "no public access block"),
    ("aws", _s3_bucket(block=ALL_ON, sse=False), "no server-side encryption"),
    ("aws", _s3_bucket(block=ALL_ON, sse=True, acl="public-read"), "has ACL 'public-read'"),
    ("ali", _oss_bucket(acl="public-read", block=True, sse=True), "needs an oss.BucketAcl of 'private'"),
    ("ali", _oss_bucket(acl=None, block=True, sse=True), "needs an oss.BucketAcl of 'private'"),
    ("ali", _oss_bucket(acl="private", block=None, sse=True), "no public access block"),
    ("ali", _oss_bucket(acl="private", block=False, sse=True), "no public access block"),
    ("ali", _oss_bucket(acl="private", block=True, sse=False), "no server-side encryption rule"),
]


@pytest.mark.parametrize(("cloud", "program", "needle"), BUCKETS)
def test_public_or_unencrypted_buckets_are_caught(cloud: str, program: Callable[[Any], Any], needle: str) -> None:
    found = [v for v in _caught(cloud, program) if v.policy == "buckets-private-and-encrypted"]
    assert len(found) == 1 and needle in found[0].message, found
    assert found[0].urn.endswith("::b"), "the violation names the bucket"


@pytest.mark.parametrize(
    ("cloud", "program"),
    [("aws", _s3_bucket(block=ALL_ON, sse=True)), ("ali", _oss_bucket(acl="private", block=True, sse=True))],
)
def test_a_private_encrypted_bucket_passes(cloud: str, program: Callable[[Any], Any]) -> None:
    assert _caught(cloud, program) == []


def test_a_companion_of_another_bucket_does_not_count() -> None:
    """The public access block must belong to *this* bucket (by dependency), not merely exist."""

    def program(app: Any) -> None:
        good = aws.s3.Bucket("good", bucket="good-1")
        aws.s3.Bucket("b", bucket="b-1")
        aws.s3.BucketPublicAccessBlock("pab", bucket=good.id, **ALL_ON)
        for name in ("good", "b"):
            aws.s3.BucketServerSideEncryptionConfiguration(
                f"sse-{name}",
                bucket=f"{name}-1",
                rules=[{"apply_server_side_encryption_by_default": {"sse_algorithm": "AES256"}}],
            )

    found = [v for v in _caught("aws", program) if v.policy == "buckets-private-and-encrypted"]
    # Both lack SSE by dependency (a plain string is no proof); only "b" lacks the block.
    assert sorted((v.urn.rsplit("::", 1)[1], "block" in v.message) for v in found) == [
        ("b", False),
        ("b", True),
        ("good", False),
    ]


DATABASES: list[tuple[str, Callable[[Any], Any], str]] = [
    (
        "aws",
        lambda app: aws.rds.Instance("db", instance_class="db.t4g.micro", engine="postgres", publicly_accessible=True),
        "publiclyAccessible is true",
    ),
    (
        "aws",
        lambda app: aws.vpc.SecurityGroupIngressRule(
            "in", security_group_id="sg-1", ip_protocol="tcp", from_port=5432, to_port=5432, cidr_ipv4="0.0.0.0/0"
        ),
        "ingress from ['0.0.0.0/0']",
    ),
    (
        "aws",
        lambda app: aws.ec2.SecurityGroup(
            "sg", ingress=[{"protocol": "tcp", "from_port": 5432, "to_port": 5432, "ipv6_cidr_blocks": ["::/0"]}]
        ),
        "ingress[0] from ['::/0']",
    ),
    (
        "aws",
        lambda app: aws.ec2.SecurityGroupRule(
            "rule",
            type="ingress",
            security_group_id="sg-1",
            protocol="tcp",
            from_port=1,
            to_port=2,
            cidr_blocks=["10.0.0.0/16", "0.0.0.0/0"],
        ),
        "ingress from ['0.0.0.0/0']",
    ),
    (
        "ali",
        lambda app: alicloud.rds.Instance(
            "db",
            engine="PostgreSQL",
            engine_version="17.0",
            instance_type="pg.n2.1c.1m",
            instance_storage=20,
            security_ips=["10.0.0.0/24", "0.0.0.0/0"],
        ),
        "whitelist admits every address (['0.0.0.0/0'])",
    ),
    (
        "ali",
        lambda app: alicloud.rds.Connection("public", instance_id="pgm-1"),
        "public connection string",
    ),
    (
        "ali",
        lambda app: alicloud.ecs.SecurityGroupRule(
            "rule",
            type="ingress",
            ip_protocol="tcp",
            security_group_id="sg-1",
            port_range="5432/5432",
            cidr_ip="0.0.0.0/0",
        ),
        "ingress from ['0.0.0.0/0']",
    ),
]


@pytest.mark.parametrize(("cloud", "program", "needle"), DATABASES)
def test_public_databases_are_caught(cloud: str, program: Callable[[Any], Any], needle: str) -> None:
    found = [v for v in _caught(cloud, program) if v.policy == "databases-not-public"]
    assert len(found) == 1 and needle in found[0].message, found


def _remediated(cloud: str, program: Callable[[Any], Any]) -> list[tuple[str, str, Any]]:
    return run_pack(_record(cloud, program))[1]


def test_plaintext_credential_in_a_lambda_environment_is_sealed() -> None:
    def program(app: Any) -> None:
        for name, password in (("plain", "Plain-Passw0rd!"), ("sealed", pulumi.Output.secret("Sealed-Pw0rd!"))):
            aws.lambda_.Function(
                name,
                role="arn:aws:iam::1:role/r",
                runtime="python3.12",
                handler="entry_aws.handler",
                environment={"variables": {"DB_TASKS_PASSWORD": password, "DB_TASKS_HOST": "h"}},
            )

    fixed = _remediated("aws", program)
    assert [(p, urn.rsplit("::", 1)[1]) for p, urn, _ in fixed] == [("secrets-never-plaintext", "plain")]
    env = fixed[0][2]["environment"]["variables"]
    assert isinstance(env["DB_TASKS_PASSWORD"], Secret) and env["DB_TASKS_PASSWORD"].value == "Plain-Passw0rd!"
    assert env["DB_TASKS_HOST"] == "h"  # everything else untouched
    assert fixed[0][2]["runtime"] == "python3.12"


@pytest.mark.parametrize(
    ("resource_type", "prop"),
    [
        ("aws:rds/instance:Instance", "password"),
        ("aws:secretsmanager/secretVersion:SecretVersion", "secretString"),
        ("alicloud:rds/rdsAccount:RdsAccount", "accountPassword"),
    ],
)
def test_credential_properties_must_be_secret(resource_type: str, prop: str) -> None:
    """The SDKs seal these themselves; the pack still refuses them plaintext (another language,
    a dynamic provider, a raw resource)."""
    from multicloud_invariants.rules import plaintext_secrets

    def marked(value: Any) -> bool:
        return isinstance(value, Secret)

    assert plaintext_secrets(resource_type, {prop: "pw"}, marked) == [
        f"{prop} is plaintext in the state; make it a Pulumi secret"
    ]
    assert plaintext_secrets(resource_type, {prop: Secret("pw")}, marked) == []


def test_plaintext_password_in_a_function_environment_is_sealed() -> None:
    def program(app: Any) -> None:
        alicloud.fc.V3Function(
            "fn",
            function_name="f",
            handler="entry_ali.handler",
            runtime="python3.12",
            environment_variables={"DB_TASKS_PASSWORD": "Plain-Passw0rd!", "DB_TASKS_HOST": "h"},
        )

    fixed = {urn.rsplit("::", 1)[1]: props for _, urn, props in _remediated("ali", program)}
    assert sorted(fixed) == ["fn"]
    env = fixed["fn"]["environmentVariables"]
    assert isinstance(env["DB_TASKS_PASSWORD"], Secret) and env["DB_TASKS_PASSWORD"].value == "Plain-Passw0rd!"
    assert env["DB_TASKS_HOST"] == "h"


@pytest.mark.parametrize(
    ("key", "credential"),
    [
        ("DB_TASKS_PASSWORD", True),
        ("API_TOKEN", True),
        ("GITHUB_PRIVATE_KEY", True),
        ("DB_ADMIN_SECRET_ARN", False),
        ("TOKEN_URL", False),
        ("DB_TASKS_HOST", False),
    ],
)
def test_credential_environment_names(key: str, credential: bool) -> None:
    from multicloud_invariants.rules import credential_key

    assert credential_key(key) is credential
