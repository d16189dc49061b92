"""IAM roles for services, with exactly the given statements (one helper for every backend)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.permissions import Grant, policy_output, trust_policy


@dataclass
class ServiceRole:
    role: aws.iam.Role
    policy: aws.iam.RolePolicy


def inline_policy(role: aws.iam.Role, name: str, policy: pulumi.Input[str]) -> aws.iam.RolePolicy:
    """An inline policy of ``role`` (a child of the role, so it goes when the role goes)."""
    return aws.iam.RolePolicy(name, role=role.id, policy=policy, opts=pulumi.ResourceOptions(parent=role))


def service_role(
    name: str,
    *,
    role_name: str,
    service: str,
    description: str,
    policy: str,
    grants: Sequence[Grant],
    parent: pulumi.Resource,
    source_account: str | None = None,
) -> ServiceRole:
    """Role ``<name>-role`` trusting only ``service`` (and only from ``source_account`` when
    given), with one inline policy ``<name>-<policy>`` holding exactly ``grants``."""
    role = aws.iam.Role(
        f"{name}-role",
        name=role_name,
        description=description,
        assume_role_policy=trust_policy("aws", service, source_account=source_account),
        opts=pulumi.ResourceOptions(parent=parent),
    )
    return ServiceRole(role=role, policy=inline_policy(role, f"{name}-{policy}", policy_output("aws", grants)))
