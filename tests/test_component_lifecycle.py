"""Every component registers its outputs once, as its last word: no child is created under a
component after its ``register_outputs`` (grants and triggers add children until the program is
sealed, so outputs are registered then)."""

from __future__ import annotations

from typing import Any

import pulumi
import pytest
from pulumi_harness import deploy
from urn_graph import VARIANTS

from samples import compose

FULL = {"aws": "configured-password", "ali": "service-linked-roles"}


def _ancestors(resource: pulumi.Resource, parents: dict[int, pulumi.Resource | None]) -> list[pulumi.Resource]:
    chain = []
    parent = parents.get(id(resource))
    while parent is not None:
        chain.append(parent)
        parent = parents.get(id(parent))
    return chain


@pytest.mark.parametrize("cloud", ["aws", "ali"])
def test_no_child_is_created_after_its_component_registered_outputs(
    cloud: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    events: list[tuple[str, pulumi.Resource]] = []
    parents: dict[int, pulumi.Resource | None] = {}
    keep: list[pulumi.Resource] = []  # ids stay unique while the run lasts
    init = pulumi.Resource.__init__
    register_outputs = pulumi.ComponentResource.register_outputs

    def recording_init(
        self: pulumi.Resource, t: str, name: str, custom: bool, props: Any = None, opts: Any = None, *a: Any, **kw: Any
    ) -> None:
        parents[id(self)] = opts.parent if opts is not None else None
        keep.append(self)
        events.append(("created", self))
        init(self, t, name, custom, props, opts, *a, **kw)

    def recording_outputs(self: pulumi.ComponentResource, outputs: Any) -> None:
        events.append(("outputs", self))
        register_outputs(self, outputs)

    monkeypatch.setattr(pulumi.Resource, "__init__", recording_init)
    monkeypatch.setattr(pulumi.ComponentResource, "register_outputs", recording_outputs)
    deploy(cloud, compose, VARIANTS[cloud][FULL[cloud]])

    ours = [r for _, r in events if r._type.startswith("multicloud:index:")]
    components = [r for kind, r in events if kind == "created" and r in ours]
    registered = [r for kind, r in events if kind == "outputs" and r in ours]
    assert len(components) >= 15
    assert sorted(map(id, registered)) == sorted(map(id, components)), "each component registers outputs once"
    sealed: set[int] = set()
    late = []
    for kind, resource in events:
        if kind == "outputs":
            sealed.add(id(resource))
        elif any(id(a) in sealed for a in _ancestors(resource, parents)):
            late.append(resource._name)
    assert late == []
