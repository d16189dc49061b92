"""The invariants, as plain functions over (resource type, properties) or over the whole stack.

Each returns the violations it finds as messages; ``__init__`` wraps them as pulumi_policy
policies. Keeping them plain lets the test suite run them on a mock deployment's graph.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from multicloud_invariants.documents import statements

# Actions that have no resource-level form, the only ones a statement may grant on "*".
# AWS: the EC2 network-interface and Describe actions Lambda needs for VPC access
# (AWSLambdaVPCAccessExecutionRole documents "*" for them). Alibaba Cloud: the VPC/ECS reads FC
# documents for a function role that attaches to a VPC. Anything else names its resource.
NO_RESOURCE_LEVEL: frozenset[str] = frozenset(
    a.lower()
    for a in (
        "ec2:CreateNetworkInterface",
        "ec2:DescribeNetworkInterfaces",
        "ec2:DeleteNetworkInterface",
        "ec2:AssignPrivateIpAddresses",
        "ec2:UnassignPrivateIpAddresses",
        "ec2:DescribeSubnets",
        "ec2:DescribeSecurityGroups",
        "ec2:DescribeVpcs",
        "vpc:DescribeVSwitchAttributes",
        "vpc:DescribeVpcAttribute",
        "ecs:DescribeSecurityGroupAttribute",
        "ecs:CreateNetworkInterface",
        "ecs:DescribeNetworkInterfaces",
        "ecs:DeleteNetworkInterface",
        "ecs:CreateNetworkInterfacePermission",
        "ecs:DescribeNetworkInterfacePermissions",
        "ecs:DeleteNetworkInterfacePermission",
    )
)

ANYWHERE = (ipaddress.ip_network("0.0.0.0/0"), ipaddress.ip_network("::/0"))
PUBLIC_ACLS = frozenset({"public-read", "public-read-write", "authenticated-read"})


def no_wildcard_actions(resource_type: str, props: Mapping[str, Any]) -> list[str]:
    """No statement allows an action pattern, and no Allow uses NotAction (a wildcard in disguise)."""
    found = []
    for st in statements(resource_type, props):
        wild = [a for a in st.actions if "*" in a or "?" in a]
        if wild:
            found.append(f"{st.where}: wildcard action(s) {wild}; name each action")
        if st.not_actions and st.effect == "Allow":
            found.append(f"{st.where}: Allow with NotAction {list(st.not_actions)} grants every other action")
    if resource_type == "aws:lambda/permission:Permission" and "*" in str(props.get("action", "")):
        found.append(f"action {props.get('action')!r}: name the action (lambda:InvokeFunction)")
    return found


def resource_star_only_where_needed(resource_type: str, props: Mapping[str, Any]) -> list[str]:
    """``Resource: "*"`` only for actions that have no resource-level form."""
    found = []
    for st in statements(resource_type, props):
        if st.effect != "Allow" or "*" not in st.resources:
            continue
        scoped = [a for a in st.actions if a.lower() not in NO_RESOURCE_LEVEL]
        if scoped:
            found.append(f"{st.where}: {scoped} on Resource '*'; these actions take a resource ARN")
    return found


def _cidrs_anywhere(values: Iterable[Any]) -> list[str]:
    hits = []
    for value in values:
        for part in str(value).replace(";", ",").split(","):
            text = part.strip()
            if not text:
                continue
            try:
                net = ipaddress.ip_network(text, strict=False)
            except ValueError:
                continue
            if net in ANYWHERE:
                hits.append(text)
    return hits


def databases_not_public(resource_type: str, props: Mapping[str, Any]) -> list[str]:
    """No public database endpoint, whitelist or ingress rule open to every address."""
    found = []
    if resource_type in ("aws:rds/instance:Instance", "aws:rds/clusterInstance:ClusterInstance"):
        if props.get("publiclyAccessible") is True:
            found.append("publiclyAccessible is true: the database gets a public address")
    elif resource_type == "alicloud:rds/instance:Instance":
        hits = _cidrs_anywhere(props.get("securityIps") or [])
        for array in props.get("dbInstanceIpArrays") or []:
            hits += _cidrs_anywhere((array or {}).get("securityIps") or [])
        if hits:
            found.append(f"whitelist admits every address ({hits}); admit the VPC's ranges only")
    elif resource_type == "alicloud:rds/connection:Connection":
        found.append("a public connection string exposes the database to the internet")
    if resource_type == "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule":
        hits = _cidrs_anywhere([props.get("cidrIpv4") or "", props.get("cidrIpv6") or ""])
        if hits:
            found.append(f"ingress from {hits}; reference a security group or a private range")
    elif resource_type == "aws:ec2/securityGroupRule:SecurityGroupRule" and props.get("type") == "ingress":
        hits = _cidrs_anywhere(list(props.get("cidrBlocks") or []) + list(props.get("ipv6CidrBlocks") or []))
        if hits:
            found.append(f"ingress from {hits}; reference a security group or a private range")
    elif resource_type == "aws:ec2/securityGroup:SecurityGroup":
        for index, rule in enumerate(props.get("ingress") or []):
            rule = rule or {}
            hits = _cidrs_anywhere(list(rule.get("cidrBlocks") or []) + list(rule.get("ipv6CidrBlocks") or []))
            if hits:
                found.append(f"ingress[{index}] from {hits}; reference a security group or a private range")
    elif resource_type == "alicloud:ecs/securityGroupRule:SecurityGroupRule" and props.get("type") == "ingress":
        hits = _cidrs_anywhere([props.get("cidrIp") or "", props.get("ipv6CidrIp") or ""])
        if hits:
            found.append(f"ingress from {hits}; reference a security group or a private range")
    return found


# Properties that hold a credential, per type. Environment maps are checked by key name.
SENSITIVE: Mapping[str, tuple[str, ...]] = {
    "aws:rds/instance:Instance": ("password",),
    "aws:rds/cluster:Cluster": ("masterPassword",),
    "aws:secretsmanager/secretVersion:SecretVersion": ("secretString",),
    "alicloud:rds/rdsAccount:RdsAccount": ("accountPassword", "password"),
    "alicloud:rds/account:Account": ("accountPassword", "password"),
    "alicloud:kms/secret:Secret": ("secretData",),
}
ENVIRONMENT: Mapping[str, str] = {
    "aws:lambda/function:Function": "environment.variables",
    "alicloud:fc/v3Function:V3Function": "environmentVariables",
}
SECRET_WORDS = ("PASSWORD", "SECRET", "TOKEN", "PRIVATE_KEY", "ACCESS_KEY")
# Names that point at a credential rather than hold one (DB_ADMIN_SECRET_ARN, TOKEN_URL).
POINTER_SUFFIXES = ("_ARN", "_ID", "_NAME", "_URL", "_ENDPOINT", "_REGION")


def credential_key(key: str) -> bool:
    """Whether an environment variable of this name holds a credential."""
    upper = key.upper()
    return any(w in upper for w in SECRET_WORDS) and not upper.endswith(POINTER_SUFFIXES)


def _get(props: Mapping[str, Any], dotted: str) -> Any:
    value: Any = props
    for part in dotted.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    return value


def plaintext_secrets(resource_type: str, props: Mapping[str, Any], is_secret: Any) -> list[str]:
    """Credential-bearing properties that are not Pulumi secrets.

    ``is_secret(value)`` says whether the engine marked a value secret (the policy engine shows
    that only to remediations, see ``__init__``).
    """
    found = []
    for prop in SENSITIVE.get(resource_type, ()):
        value = _get(props, prop)
        if value is not None and not is_secret(value):
            found.append(f"{prop} is plaintext in the state; make it a Pulumi secret")
    env_path = ENVIRONMENT.get(resource_type)
    env = _get(props, env_path) if env_path else None
    if is_secret(env):
        return found  # the whole environment is secret: every variable in it is
    for key, value in (env or {}).items() if isinstance(env, Mapping) else ():
        if credential_key(key) and not is_secret(value):
            found.append(f"{env_path}.{key} is plaintext in the state; make it a Pulumi secret")
    return found


@dataclass
class StackResource:
    """What a stack validation needs of a resource: type, name, outputs and who it depends on."""

    urn: str
    resource_type: str
    name: str
    props: Mapping[str, Any]
    property_dependencies: Mapping[str, Sequence[str]] = field(default_factory=dict)


def _children_of(resources: Sequence[StackResource], kind: str, prop: str, bucket: StackResource) -> list:
    return [r for r in resources if r.resource_type == kind and bucket.urn in r.property_dependencies.get(prop, ())]


OSS_BLOCK = "alicloud:oss/bucketPublicAccessBlock:BucketPublicAccessBlock"
OSS_SSE = "alicloud:oss/bucketServerSideEncryption:BucketServerSideEncryption"


def buckets_private_and_encrypted(resources: Sequence[StackResource]) -> list[tuple[str, str]]:
    """Every bucket blocks public access and is encrypted at rest. Returns (urn, message) pairs.

    A companion resource belongs to a bucket when its ``bucket`` property depends on it, which
    is how the engine records ``bucket=b.id`` whatever the ids turn out to be.
    """
    found = []
    for b in resources:
        if b.resource_type in ("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2"):
            if b.props.get("acl") in PUBLIC_ACLS:
                found.append((b.urn, f"S3 bucket {b.name!r} has ACL {b.props.get('acl')!r}"))
            blocks = _children_of(resources, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "bucket", b)
            keys = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
            if not any(all(p.props.get(k) is True for k in keys) for p in blocks):
                found.append((b.urn, f"S3 bucket {b.name!r} has no public access block with all four settings on"))
            sse = b.props.get("serverSideEncryptionConfiguration") or any(
                _children_of(resources, kind, "bucket", b)
                for kind in (
                    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
                    "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
                )
            )
            if not sse:
                found.append((b.urn, f"S3 bucket {b.name!r} has no server-side encryption configuration"))
            for acl in _children_of(resources, "aws:s3/bucketAclV2:BucketAclV2", "bucket", b):
                if acl.props.get("acl") in PUBLIC_ACLS:
                    found.append((acl.urn, f"S3 bucket {b.name!r} gets public ACL {acl.props.get('acl')!r}"))
        elif b.resource_type == "alicloud:oss/bucket:Bucket":
            if b.props.get("acl") not in (None, "private"):
                found.append((b.urn, f"OSS bucket {b.name!r} has ACL {b.props.get('acl')!r}"))
            acls = _children_of(resources, "alicloud:oss/bucketAcl:BucketAcl", "bucket", b)
            if not acls or any(a.props.get("acl") != "private" for a in acls):
                found.append((b.urn, f"OSS bucket {b.name!r} needs an oss.BucketAcl of 'private' (and no other)"))
            blocks = _children_of(
                resources, "alicloud:oss/bucketPublicAccessBlock:BucketPublicAccessBlock", "bucket", b
            )
            if not any(p.props.get("blockPublicAccess") is True for p in blocks):
                found.append((b.urn, f"OSS bucket {b.name!r} has no public access block"))
            rule = b.props.get("serverSideEncryptionRule") or {}
            sse_children = _children_of(
                resources, "alicloud:oss/bucketServerSideEncryption:BucketServerSideEncryption", "bucket", b
            )
            if not rule.get("sseAlgorithm") and not sse_children:
                found.append((b.urn, f"OSS bucket {b.name!r} has no server-side encryption rule"))
    return found
