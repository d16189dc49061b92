"""The one table mapping each neutral action to its IAM and RAM actions, and the policy builders.

Grants (``bucket.grant_read(fn)`` and friends) name a neutral permission and the resources it
applies to; this module turns that into statements for the selected cloud. No wildcard actions
anywhere. ``Resource: "*"`` appears only where the cloud offers nothing narrower, and the entry
says so.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi

from components.errors import invalid, one_of


@dataclass(frozen=True)
class Permission:
    aws: tuple[str, ...]
    ali: tuple[str, ...]
    why_star: str = ""  # set when the cloud has no resource-level scope for these actions

    def actions(self, cloud: str) -> tuple[str, ...]:
        return self.aws if cloud == "aws" else self.ali


PERMISSIONS: Mapping[str, Permission] = {
    "logs.write": Permission(
        aws=("logs:CreateLogStream", "logs:PutLogEvents"),
        ali=("log:PostLogStoreLogs",),
    ),
    "objects.read": Permission(aws=("s3:GetObject",), ali=("oss:GetObject",)),
    "objects.list": Permission(aws=("s3:ListBucket",), ali=("oss:ListObjects",)),
    "objects.write": Permission(aws=("s3:PutObject",), ali=("oss:PutObject",)),
    "objects.delete": Permission(aws=("s3:DeleteObject",), ali=("oss:DeleteObject",)),
    "queue.send": Permission(aws=("sqs:SendMessage",), ali=("mns:SendMessage",)),
    "queue.consume": Permission(
        aws=(
            "sqs:ReceiveMessage",
            "sqs:DeleteMessage",
            "sqs:ChangeMessageVisibility",
            "sqs:GetQueueAttributes",
        ),
        ali=("mns:ReceiveMessage", "mns:DeleteMessage", "mns:ChangeMessageVisibility"),
    ),
    "topic.publish": Permission(aws=("sns:Publish",), ali=("mns:PublishMessage",)),
    "function.invoke": Permission(aws=("lambda:InvokeFunction",), ali=("fc:InvokeFunction",)),
    "secret.read": Permission(aws=("secretsmanager:GetSecretValue",), ali=("kms:GetSecretValue",)),
    # Log in to RDS as one database user with an IAM token (resource: that user's dbuser ARN).
    # ApsaraDB PostgreSQL has no RAM-authenticated login: its account password is the credential.
    "db.connect": Permission(aws=("rds-db:connect",), ali=()),
    # Lambda creates ENIs in the function's subnets; EC2's network-interface and Describe*
    # actions have no resource-level permissions, so AWS documents "*" for them
    # (AWSLambdaVPCAccessExecutionRole). FC 3.0 uses the service-linked role AliyunServiceRoleForFC
    # only for functions without a role of their own ("Use a function role...": functions use
    # the SLR by default; once a role is configured FC assumes that role), and the provider
    # exposes no vpcConfig.role to name another. Our functions always have their own role, so
    # it gets exactly the VPC and ENI actions of FC's system policy AliyunServiceRolePolicyForFC,
    # on "*" as that policy has them: the ENIs do not exist (have no ids) before FC creates them.
    "network.attach": Permission(
        aws=(
            "ec2:CreateNetworkInterface",
            "ec2:DescribeNetworkInterfaces",
            "ec2:DescribeSubnets",
            "ec2:DeleteNetworkInterface",
            "ec2:AssignPrivateIpAddresses",
            "ec2:UnassignPrivateIpAddresses",
        ),
        ali=(
            "vpc:DescribeVSwitchAttributes",
            "vpc:DescribeVpcAttribute",
            "ecs:CreateNetworkInterface",
            "ecs:DeleteNetworkInterface",
            "ecs:DescribeNetworkInterfaces",
            "ecs:CreateNetworkInterfacePermission",
            "ecs:DeleteNetworkInterfacePermission",
            "ecs:DescribeNetworkInterfacePermissions",
        ),
        why_star="network-interface actions of EC2 and ECS have no resource-level scope before the ENI exists",
    ),
}


@dataclass(frozen=True)
class Grant:
    """A neutral permission on concrete resources, plus the settings its driver needs.

    ``resources`` are ARNs of the selected cloud (``arn:aws:...`` or ``acs:...``); ``settings``
    become environment variables of the function (see ``cloudfn.settings``).
    """

    permission: str
    resources: Sequence[pulumi.Input[str]]
    settings: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.permission not in PERMISSIONS:
            raise invalid("Grant permission", self.permission, one_of(sorted(PERMISSIONS)))
        # A bare string is a Sequence too: "arn:..." would become one resource per character.
        if isinstance(self.resources, (str, bytes)) or not isinstance(self.resources, Sequence):
            raise invalid(f"grant {self.permission!r} resources", self.resources, "a list of resource ARNs")
        if not self.resources:
            raise invalid(f"grant {self.permission!r} resources", list(self.resources), "at least one resource ARN")
        # Any sequence (list or tuple), "*" alone or among others.
        if any(isinstance(r, str) and r == "*" for r in self.resources) and not PERMISSIONS[self.permission].why_star:
            raise invalid(
                f"grant {self.permission!r} resources",
                list(self.resources),
                "concrete ARNs: Resource '*' is allowed only for permissions whose actions have no "
                "resource-level scope (" + ", ".join(sorted(k for k, p in PERMISSIONS.items() if p.why_star)) + ")",
            )


def statement(cloud: str, grant: Grant, resolved_resources: Sequence[str]) -> dict[str, Any] | None:
    """One Allow statement; ``None`` where the cloud needs nothing for this permission."""
    actions = PERMISSIONS[grant.permission].actions(cloud)
    if not actions:
        return None
    body: dict[str, Any] = {"Effect": "Allow", "Action": list(actions), "Resource": list(resolved_resources)}
    if cloud == "aws":
        # Sids must be alphanumeric on IAM.
        body = {"Sid": "".join(p.capitalize() for p in grant.permission.split(".")), **body}
    return body


def document(cloud: str, statements: Sequence[dict[str, Any]]) -> str:
    import json

    sids = [st["Sid"] for st in statements if "Sid" in st]
    if len(sids) != len(set(sids)):
        # IAM rejects a policy whose statement ids repeat (MalformedPolicyDocument).
        raise pulumi.RunError(f"policy statement ids must be unique; got {sids}")
    version = "2012-10-17" if cloud == "aws" else "1"
    return json.dumps({"Version": version, "Statement": list(statements)}, separators=(",", ":"))


def policy_output(cloud: str, grants: Sequence[Grant]) -> pulumi.Input[str]:
    """The policy document for ``grants``: a string when every resource ARN is already a string
    (a function's own log group), else an Output once every ARN is known."""
    all_resources = [list(g.resources) for g in grants]

    def render(resolved: list[list[str]]) -> str:
        # One statement per permission, its resources gathered in grant order: a permission
        # granted on two buckets (or queues, topics) is one statement with two resources, so
        # each Sid (derived from the permission) occurs once, as IAM requires.
        merged: dict[str, tuple[Grant, list[str]]] = {}
        for grant, resources in zip(grants, resolved):
            _, gathered = merged.setdefault(grant.permission, (grant, []))
            gathered.extend(r for r in resources if r not in gathered)
        statements = []
        for grant, resources in merged.values():
            st = statement(cloud, grant, resources)
            if st is not None:
                statements.append(st)
        return document(cloud, statements)

    if all(isinstance(r, str) for rs in all_resources for r in rs):
        # Nothing to wait for: the document itself, not an Output chain (a few tasks per
        # function, which a 200-function program pays for in evaluation time).
        return render(all_resources)
    return pulumi.Output.all(*[pulumi.Output.all(*rs) for rs in all_resources]).apply(render)


def trust_policy(cloud: str, service: str, source_account: str | None = None) -> str:
    """A role trust policy that lets exactly one service principal assume the role.

    ``source_account`` (AWS) adds the ``aws:SourceAccount`` condition AWS recommends against
    the confused-deputy problem for services acting on this account's behalf.
    """
    import json

    if cloud == "aws":
        st: dict[str, Any] = {
            "Effect": "Allow",
            "Principal": {"Service": service},
            "Action": "sts:AssumeRole",
        }
        if source_account:
            st["Condition"] = {"StringEquals": {"aws:SourceAccount": source_account}}
        doc = {"Version": "2012-10-17", "Statement": [st]}
    else:
        doc = {
            "Version": "1",
            "Statement": [{"Effect": "Allow", "Principal": {"Service": [service]}, "Action": "sts:AssumeRole"}],
        }
    return json.dumps(doc, separators=(",", ":"))
