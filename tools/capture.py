"""Record every resource registration of a program run under Pulumi's mock monitor, as the engine sees it.

Pulumi's ``Mocks.new_resource`` receives neither the parent, the URN, nor which resources an input
came from, and it sees secrets unwrapped. The policy engine and a picture of the stack need all of
that, so this wraps the mock monitor's ``RegisterResource`` and keeps, per registration, the
request's own wire form: inputs and outputs as the engine would pass them to a policy pack
(secrets still marked), the parent URN, and the property dependencies.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from google.protobuf import json_format
from pulumi.runtime import mocks as pulumi_mocks


@dataclass
class Registration:
    urn: str
    type: str
    name: str
    parent: str | None
    custom: bool
    inputs: dict[str, Any]  # wire form: secrets keep Pulumi's secret signature
    outputs: dict[str, Any]
    dependencies: list[str] = field(default_factory=list)
    property_dependencies: dict[str, list[str]] = field(default_factory=dict)
    # As the SDK sends them: {"urn": ...} or a spec {"name", "type", "parentUrn", "noParent"}.
    aliases: list[dict[str, Any]] = field(default_factory=list)


_active: list[list[Registration]] = []
_original = pulumi_mocks.MockMonitor.RegisterResource


def _recording_register(self: pulumi_mocks.MockMonitor, request: Any) -> Any:
    response = _original(self, request)
    if _active and request.type != "pulumi:pulumi:Stack":
        _active[-1].append(
            Registration(
                urn=response.urn,
                type=request.type,
                name=request.name,
                parent=request.parent or None,
                custom=bool(request.custom),
                inputs=json_format.MessageToDict(request.object),
                outputs=json_format.MessageToDict(response.object),
                dependencies=list(request.dependencies),
                property_dependencies={k: list(v.urns) for k, v in request.propertyDependencies.items()},
                aliases=[_alias(a) for a in request.aliases],
            )
        )
    return response


def _alias(alias: Any) -> dict[str, Any]:
    if alias.urn:
        return {"urn": alias.urn}
    spec = alias.spec
    return {"name": spec.name, "type": spec.type, "parentUrn": spec.parentUrn, "noParent": spec.noParent}


pulumi_mocks.MockMonitor.RegisterResource = _recording_register  # type: ignore[method-assign]


@contextlib.contextmanager
def recording() -> Iterator[list[Registration]]:
    """Collect the registrations made while the block runs (nestable; innermost wins)."""
    found: list[Registration] = []
    _active.append(found)
    try:
        yield found
    finally:
        _active.remove(found)
