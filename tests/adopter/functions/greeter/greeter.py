"""The adopter's own function logic, using the installed cloudfn."""

from __future__ import annotations

from cloudfn import Invocation
from cloudfn.events.objects import ObjectCreated


def greet(records: list[ObjectCreated], inv: Invocation) -> dict[str, list[str]]:
    return {"greeted": [f"hello {r.key}" for r in records]}
