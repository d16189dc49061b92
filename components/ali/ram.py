"""RAM roles for services, with exactly the given statements (one helper for every backend).

RAM has no inline policies: a custom policy and its attachment to the role stand for one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_alicloud as alicloud

from components.permissions import Grant, policy_output, trust_policy


@dataclass
class CustomPolicy:
    policy: alicloud.ram.Policy
    attachment: alicloud.ram.RolePolicyAttachment


@dataclass
class ServiceRole:
    role: alicloud.ram.Role
    policy: alicloud.ram.Policy
    attachment: alicloud.ram.RolePolicyAttachment


def custom_policy(
    role: alicloud.ram.Role, name: str, *, policy_name: pulumi.Input[str], document: pulumi.Input[str], description: str
) -> CustomPolicy:
    """A custom policy ``name`` attached to ``role`` (both children of the role)."""
    opts = pulumi.ResourceOptions(parent=role)
    policy = alicloud.ram.Policy(
        name,
        policy_name=policy_name,
        policy_document=document,
        description=description,
        force=True,
        opts=opts,
    )
    attachment = alicloud.ram.RolePolicyAttachment(
        name,
        role_name=role.role_name,
        policy_name=policy.policy_name,
        policy_type="Custom",
        opts=opts,
    )
    return CustomPolicy(policy=policy, attachment=attachment)


def service_role(
    name: str,
    *,
    role_name: str,
    service: str,
    description: str,
    policy: str,
    policy_name: str,
    policy_description: str,
    grants: Sequence[Grant],
    parent: pulumi.Resource,
) -> ServiceRole:
    """Role ``<name>-role`` trusting only ``service``, with the custom policy ``<name>-<policy>``
    holding exactly ``grants``, attached."""
    role = alicloud.ram.Role(
        f"{name}-role",
        role_name=role_name,
        description=description,
        assume_role_policy_document=trust_policy("ali", service),
        force=True,
        opts=pulumi.ResourceOptions(parent=parent),
    )
    attached = custom_policy(
        role,
        f"{name}-{policy}",
        policy_name=policy_name,
        document=policy_output("ali", grants),
        description=policy_description,
    )
    return ServiceRole(role=role, policy=attached.policy, attachment=attached.attachment)
