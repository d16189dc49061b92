"""Where IAM and RAM policy documents live in resource properties, and their statements.

Property names are Pulumi's (camelCase), as the policy engine passes them. A document may be a
JSON string or an already-decoded mapping; trust policies (who may assume a role) are not
permission documents and are left out: they name principals, not actions on resources.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

# type -> property paths holding one permission document ("a.b" descends, "a[].b" maps a list).
DOCUMENT_PROPERTIES: Mapping[str, tuple[str, ...]] = {
    "aws:iam/rolePolicy:RolePolicy": ("policy",),
    "aws:iam/policy:Policy": ("policy",),
    "aws:iam/userPolicy:UserPolicy": ("policy",),
    "aws:iam/groupPolicy:GroupPolicy": ("policy",),
    "aws:iam/role:Role": ("inlinePolicies[].policy",),
    "aws:ec2/vpcEndpoint:VpcEndpoint": ("policy",),
    "aws:s3/bucketPolicy:BucketPolicy": ("policy",),
    "aws:sqs/queuePolicy:QueuePolicy": ("policy",),
    "aws:sns/topicPolicy:TopicPolicy": ("policy",),
    "aws:secretsmanager/secretPolicy:SecretPolicy": ("policy",),
    "aws:kms/key:Key": ("policy",),
    "alicloud:ram/policy:Policy": ("policyDocument", "document"),
}


@dataclass(frozen=True)
class Statement:
    where: str  # "policy", "inlinePolicies[0].policy", ... plus the statement's Sid or index
    effect: str
    actions: tuple[str, ...]
    not_actions: tuple[str, ...]
    resources: tuple[str, ...]


def _values(props: Mapping[str, Any], path: str) -> Iterator[tuple[str, Any]]:
    head, _, rest = path.partition(".")
    if head.endswith("[]"):
        items = props.get(head[:-2]) or []
        for index, item in enumerate(items if isinstance(items, list) else []):
            if isinstance(item, Mapping):
                for where, value in _values(item, rest):
                    yield f"{head[:-2]}[{index}].{where}", value
        return
    value = props.get(head)
    if value is None:
        return
    if rest:
        if isinstance(value, Mapping):
            for where, inner in _values(value, rest):
                yield f"{head}.{where}", inner
        return
    yield head, value


def _as_list(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(str(v) for v in value)


def statements(resource_type: str, props: Mapping[str, Any]) -> Iterator[Statement]:
    """Every statement of every permission document the resource carries."""
    for path in DOCUMENT_PROPERTIES.get(resource_type, ()):
        for where, raw in _values(props, path):
            document = json.loads(raw) if isinstance(raw, str) else raw
            if not isinstance(document, Mapping):
                continue
            found = document.get("Statement") or []
            if isinstance(found, Mapping):
                found = [found]
            for index, statement in enumerate(found):
                if not isinstance(statement, Mapping):
                    continue
                label = statement.get("Sid") or f"#{index}"
                yield Statement(
                    where=f"{where} {label}",
                    effect=str(statement.get("Effect", "")),
                    actions=_as_list(statement.get("Action")),
                    not_actions=_as_list(statement.get("NotAction")),
                    resources=_as_list(statement.get("Resource")) + _as_list(statement.get("NotResource")),
                )
