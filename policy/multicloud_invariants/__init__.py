"""This project's invariants as a Pulumi policy pack, for any program on AWS or Alibaba Cloud.

- no-wildcard-actions (resource, mandatory): no action pattern (`s3:*`, `*`) and no Allow with
  NotAction in any IAM/RAM document; Lambda permissions name their action.
- resource-star-only-where-needed (resource, mandatory): `Resource: "*"` only for actions with no
  resource-level form (``rules.NO_RESOURCE_LEVEL``).
- buckets-private-and-encrypted (stack, mandatory): S3: public access block with all four on,
  SSE, no public ACL; OSS: private BucketAcl, public access block, SSE.
- databases-not-public (resource, mandatory): no `publiclyAccessible`, no `0.0.0.0/0` or `::/0`
  ingress or RDS whitelist, no ApsaraDB public connection.
- secrets-never-plaintext (resource, remediate): credential properties (database passwords,
  secret strings, `*PASSWORD*`/`*SECRET*`/`*TOKEN*` environment variables) become Pulumi secrets.

Why the last one remediates rather than blocks: the policy engine hands validations the
properties with secrets already unwrapped, so a validation cannot tell a secret from plaintext;
remediations receive them marked (``pulumi_policy.Secret``), and can seal what is not.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyPack,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Secret,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.secret import _DictSecretsProxy, _ListSecretsProxy

from multicloud_invariants import rules

PACK_NAME = "multicloud-invariants"


def _resource_policy(name: str, description: str, check: Callable[[str, Mapping[str, Any]], list[str]]):
    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        for message in check(args.resource_type, args.props):
            report_violation(message, None)

    return ResourceValidationPolicy(
        name=name, description=description, validate=validate, enforcement_level=EnforcementLevel.MANDATORY
    )


def _buckets(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    resources = [
        rules.StackResource(
            urn=r.urn,
            resource_type=r.resource_type,
            name=r.name,
            props=r.props,
            property_dependencies={k: [d.urn for d in v] for k, v in (r.property_dependencies or {}).items()},
        )
        for r in args.resources
    ]
    for urn, message in rules.buckets_private_and_encrypted(resources):
        report_violation(message, urn)


def _is_secret(value: Any) -> bool:
    return isinstance(value, Secret)


def _marked(value: Any) -> Any:
    """Plain dicts and lists with ``Secret`` markers kept, from the engine's secrets-preserving proxies
    (which unwrap secrets on every read)."""
    if isinstance(value, (_DictSecretsProxy, _ListSecretsProxy)):
        value = value["__target"]
    if isinstance(value, Secret):
        return Secret(_marked(value.value))
    if isinstance(value, Mapping):
        return {k: _marked(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_marked(v) for v in value]
    return value


def _seal_secrets(args: ResourceValidationArgs) -> Mapping[str, Any] | None:
    """Return the properties with every plaintext credential wrapped as a secret, or None."""
    raw = _marked(args.props)
    if not rules.plaintext_secrets(args.resource_type, raw, _is_secret):
        return None
    sealed = dict(raw)
    for prop in rules.SENSITIVE.get(args.resource_type, ()):
        if prop in sealed and sealed[prop] is not None and not _is_secret(sealed[prop]):
            sealed[prop] = Secret(sealed[prop])
    env_path = rules.ENVIRONMENT.get(args.resource_type)
    if env_path:
        head, _, rest = env_path.partition(".")
        holder = sealed.get(head)
        if rest and isinstance(holder, Mapping):
            holder = dict(holder)
            sealed[head] = holder
            key = rest
        else:
            holder, key = sealed, head
        env = holder.get(key)
        if isinstance(env, Mapping):
            holder[key] = {k: Secret(v) if rules.credential_key(k) and not _is_secret(v) else v for k, v in env.items()}
    return sealed


POLICIES = [
    _resource_policy(
        "no-wildcard-actions",
        "IAM and RAM documents name every action: no action patterns, no Allow with NotAction.",
        rules.no_wildcard_actions,
    ),
    _resource_policy(
        "resource-star-only-where-needed",
        'Resource "*" only for actions that have no resource-level form.',
        rules.resource_star_only_where_needed,
    ),
    StackValidationPolicy(
        name="buckets-private-and-encrypted",
        description="Every S3/OSS bucket blocks public access, has a private ACL and is encrypted at rest.",
        validate=_buckets,
        enforcement_level=EnforcementLevel.MANDATORY,
    ),
    _resource_policy(
        "databases-not-public",
        "No public database endpoint, and no ingress or whitelist open to every address.",
        rules.databases_not_public,
    ),
    ResourceValidationPolicy(
        name="secrets-never-plaintext",
        description="Database passwords, secret strings and credential-named environment variables are secrets.",
        remediate=_seal_secrets,
        enforcement_level=EnforcementLevel.REMEDIATE,
    ),
]


def pack() -> PolicyPack:
    """Register the pack with the engine (only when run by ``pulumi preview --policy-pack``)."""
    return PolicyPack(name=PACK_NAME, policies=POLICIES, enforcement_level=EnforcementLevel.MANDATORY)
