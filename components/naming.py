"""Names that are valid on both clouds and unique where the cloud requires it.

Every component takes a short *logical* name and derives its physical names from it plus a
deterministic per-stack suffix. The suffix hashes cloud, account, region, project and stack, so
globally unique names (S3/OSS buckets, SLS projects) do not collide between accounts or stacks,
and an unchanged program always produces the same names (no replacement on re-deploy).
"""

from __future__ import annotations

import hashlib
import re

from components.errors import invalid

# Strictest common rule of the names it feeds: RAM role names allow no "_", SLS projects and
# OSS buckets allow no upper case, and every physical name must stay within 63 characters
# after "-<tag>-<suffix>" is added.
LOGICAL_NAME = re.compile(r"^[a-z](?:[a-z0-9]|-(?=[a-z0-9])){0,31}$")
NAME_RULE = (
    "use 1-32 characters: lowercase letters, digits and single hyphens, starting with a "
    "letter and not ending with a hyphen (it becomes part of function, role, log, bucket "
    "and queue names on both clouds)"
)
SUFFIX = re.compile(r"^[a-z0-9]{4,8}$")


def validate_name(component: str, name: object) -> str:
    if not isinstance(name, str) or not LOGICAL_NAME.match(name):
        raise invalid(f"{component} name", name, NAME_RULE)
    return name


def stack_suffix(cloud: str, account_id: str, region: str, project: str, stack: str) -> str:
    key = "\0".join((cloud, account_id, region, project, stack)).encode()
    return hashlib.sha256(key).hexdigest()[:8]


class Namer:
    """Physical names for one stack: ``<logical>[-<tag>]-<suffix>``."""

    def __init__(self, suffix: str) -> None:
        if not SUFFIX.match(suffix):
            raise invalid("config 'nameSuffix'", suffix, "use 4-8 lowercase letters or digits")
        self.suffix = suffix

    def physical(self, logical: str, tag: str = "") -> str:
        parts = [logical, tag, self.suffix] if tag else [logical, self.suffix]
        return "-".join(parts)


def short_name(parts: list[str], limit: int) -> str:
    """``-``-joined parts, or a truncated form with a stable hash when over ``limit``."""
    joined = "-".join(p for p in parts if p)
    if len(joined) <= limit:
        return joined
    digest = hashlib.sha256(joined.encode()).hexdigest()[:6]
    return f"{joined[: limit - 7].rstrip('-')}-{digest}"
