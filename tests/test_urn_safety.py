"""A deployed stack sees no replacement: every URN of the whole sample application, on both
stacks and in every configuration variant, is the one in the committed baseline (generated from
the code before the library/application refactor, ``tests/urn_graph.py``) or is covered by an
alias that resolves to it."""

from __future__ import annotations

import functools
import json

import pytest
from pulumi_harness import PROJECT
from urn_graph import VARIANTS, Alias, Registration, alias_urns, baseline_path, make_urn, record


@functools.cache
def recorded(cloud: str, variant: str) -> tuple[Registration, ...]:
    return tuple(record(cloud, VARIANTS[cloud][variant]))


CASES = [(cloud, variant) for cloud, variants in VARIANTS.items() for variant in variants]


def unexplained(cloud: str, baseline: set[str], registrations: list[Registration]) -> tuple[list[str], list[str]]:
    """(current URNs neither in the baseline nor aliased to it, baseline URNs nothing stands for)."""
    by_urn = {r.urn: r for r in registrations}
    covered: set[str] = set()
    new: list[str] = []
    for reg in registrations:
        if reg.urn in baseline:
            covered.add(reg.urn)
            continue
        old = alias_urns(reg, by_urn, cloud, PROJECT) & baseline
        if not old:
            new.append(reg.urn)
        covered |= old
    return sorted(new), sorted(baseline - covered)


@pytest.mark.parametrize(("cloud", "variant"), CASES)
def test_every_urn_is_unchanged_or_aliased(cloud: str, variant: str) -> None:
    baseline = set(json.loads(baseline_path(cloud).read_text())[variant])
    registrations = list(recorded(cloud, variant))
    assert len({r.urn for r in registrations}) == len(registrations), "two resources share a URN"
    new, gone = unexplained(cloud, baseline, registrations)
    # `gone` would be deleted and `new` created by `pulumi up`: a replacement, unless intended
    # (then regenerate the baseline: python tests/urn_graph.py --write).
    assert (new, gone) == ([], [])


def test_the_account_wide_fc_role_moved_to_the_stack_under_an_alias() -> None:
    """The one URN the refactor changed, and the alias that keeps it."""
    registrations = recorded("ali", "service-linked-roles")
    role = next(r for r in registrations if r.name == "fc-service-linked-role")
    db = next(r for r in registrations if r.type == "multicloud:index:PgDatabase")
    assert role.parent == ""  # a child of the stack now
    assert role.aliases == [Alias(parent_urn=db.urn)]
    old = make_urn("ali", PROJECT, db.urn, role.type, role.name)
    assert old in json.loads(baseline_path("ali").read_text())["service-linked-roles"]
    assert alias_urns(role, {r.urn: r for r in registrations}, "ali", PROJECT) == {old}


def test_alias_resolution_follows_the_engine() -> None:
    """Specs resolve like the engine: defaults from the resource, explicit parent, no parent, a
    full URN, and aliases inherited from an aliased parent."""
    parent = Registration(
        "urn:pulumi:s::p::multicloud:index:Bucket::new",
        "multicloud:index:Bucket",
        "new",
        "",
        [Alias(name="old")],
    )
    child = Registration(
        "urn:pulumi:s::p::multicloud:index:Bucket$aws:s3/bucket:Bucket::b",
        "aws:s3/bucket:Bucket",
        "b",
        parent.urn,
        [Alias(no_parent=True), Alias(urn="urn:pulumi:s::p::x::y")],
    )
    by_urn = {parent.urn: parent, child.urn: child}
    assert alias_urns(parent, by_urn, "s", "p") == {"urn:pulumi:s::p::multicloud:index:Bucket::old"}
    assert alias_urns(child, by_urn, "s", "p") == {
        "urn:pulumi:s::p::aws:s3/bucket:Bucket::b",
        "urn:pulumi:s::p::x::y",
        "urn:pulumi:s::p::multicloud:index:Bucket$aws:s3/bucket:Bucket::b",
    }
    assert make_urn("s", "p", child.urn, "t:m:T", "n") == (
        "urn:pulumi:s::p::multicloud:index:Bucket$aws:s3/bucket:Bucket$t:m:T::n"
    )
