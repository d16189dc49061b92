"""Run the policy pack (policy/) on a recorded mock deployment, the way the policy engine calls it.

Resource validations get each resource's inputs, stack validations every resource's outputs with
parents and property dependencies, remediations the inputs with secrets still marked: each built
from the registrations' wire form by ``pulumi_policy``'s own deserializer, as its analyzer does.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pulumi_policy import (
    PolicyResource,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.deserialize import deserialize_properties
from pulumi_policy.secret import secrets_preserving_proxy

from tools.capture import Registration

POLICY_DIR = Path(__file__).resolve().parent.parent / "policy"
if str(POLICY_DIR) not in sys.path:
    sys.path.insert(0, str(POLICY_DIR))

import multicloud_invariants  # noqa: E402


@dataclass(frozen=True)
class Finding:
    policy: str
    urn: str
    message: str


def run_pack(registrations: Sequence[Registration]) -> tuple[list[Finding], list[tuple[str, str, Any]]]:
    """(violations, remediations) for every policy of the pack over these registrations."""
    violations: list[Finding] = []
    remediations: list[tuple[str, str, Any]] = []
    by_urn: dict[str, PolicyResource] = {}
    for reg in registrations:
        by_urn[reg.urn] = PolicyResource(
            reg.type, deserialize_properties(reg.outputs), reg.urn, reg.name, None, None, None, [], {}
        )
    for reg in registrations:
        res = by_urn[reg.urn]
        res.parent = by_urn.get(reg.parent or "")
        res.dependencies = [by_urn[u] for u in reg.dependencies if u in by_urn]
        res.property_dependencies = {
            k: [by_urn[u] for u in v if u in by_urn] for k, v in reg.property_dependencies.items()
        }
    for policy in multicloud_invariants.POLICIES:
        if isinstance(policy, StackValidationPolicy):

            def report(message: str, urn: str | None = None, name: str = policy.name) -> None:
                violations.append(Finding(name, urn or "", message))

            policy.validate(StackValidationArgs(list(by_urn.values())), report)
            continue
        assert isinstance(policy, ResourceValidationPolicy)
        for reg in registrations:
            if policy.has_validation():
                args = ResourceValidationArgs(
                    reg.type, deserialize_properties(reg.inputs), reg.urn, reg.name, None, None
                )

                def report(message: str, urn: str | None = None, name: str = policy.name, at: str = reg.urn) -> None:
                    violations.append(Finding(name, urn or at, message))

                policy.validate(args, report)
            if policy.has_remediation():
                marked = secrets_preserving_proxy(deserialize_properties(reg.inputs, True))
                fixed = policy.remediate(ResourceValidationArgs(reg.type, marked, reg.urn, reg.name, None, None))
                if fixed is not None:
                    remediations.append((policy.name, reg.urn, fixed))
    return violations, remediations
