"""Every resource URN the sample application registers under mocks, and the aliases it declares.

A deployed stack keys its state by URN (stack, project, the parent chain's types, the type and
the name). A refactor that renames a resource, changes its type or moves it to another parent
changes its URN, and Pulumi would replace it (a new bucket, a new database) unless the resource
declares an alias resolving to the old URN. ``tests/test_urn_safety.py`` compares the URNs of
the whole sample application against ``tests/data/urns_<cloud>.json``, generated from the code
before the "one library, one application" refactor:

    .venv/bin/python tests/urn_graph.py --write    # only when a URN change is intended

A URN that changes on purpose keeps the baseline as it is and declares an alias instead; the
baseline is regenerated only when resources are added or removed on purpose, from the tree that
is deployed (``--tree DIR``).
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

TESTS = Path(__file__).resolve().parent
DATA = TESTS / "data"
PASSWORD = "Sup3r-Secret_42"
# The configurations that together create every resource the sample application can create.
VARIANTS: dict[str, dict[str, dict[str, Any]]] = {
    "aws": {
        "rds-managed-password": {},
        "configured-password": {"dbPassword": PASSWORD},
    },
    "ali": {
        "generated-password": {},
        "default": {"dbPassword": PASSWORD},
        "service-linked-roles": {"dbPassword": PASSWORD, "createServiceLinkedRoles": "true"},
    },
}


@dataclass(frozen=True)
class Alias:
    """One alias as the SDK sends it: a full URN, or a spec the engine resolves."""

    urn: str = ""
    name: str = ""
    type: str = ""
    parent_urn: str = ""
    no_parent: bool = False


@dataclass
class Registration:
    urn: str
    type: str
    name: str
    parent: str
    aliases: list[Alias] = field(default_factory=list)


STACK_TYPE = "pulumi:pulumi:Stack"


def make_urn(stack: str, project: str, parent: str, type_: str, name: str) -> str:
    """The engine's URN rule (``resource.NewURN``): the parent's whole qualified type chain, then
    this type, then the name; children of the stack itself carry no prefix. (Pulumi's mock
    monitor prefixes only the parent's last type, and the stack's: we recompute URNs the way a
    real deployment keys its state.)"""
    if parent:
        parent_type = parent.split("::")[2]
        if parent_type != STACK_TYPE:
            type_ = f"{parent_type}${type_}"
    return f"urn:pulumi:{stack}::{project}::{type_}::{name}"


def alias_urns(reg: Registration, by_urn: dict[str, Registration], stack: str, project: str) -> set[str]:
    """The old URNs ``reg``'s aliases stand for, as the engine computes them (parents' aliases
    are inherited: a child of an aliased parent is also known under that parent's old URN)."""
    own: set[str] = set()
    for alias in reg.aliases:
        if alias.urn:
            own.add(alias.urn)
            continue
        parent = "" if alias.no_parent else (alias.parent_urn or reg.parent)
        own.add(make_urn(stack, project, parent, alias.type or reg.type, alias.name or reg.name))
    parent_reg = by_urn.get(reg.parent)
    if parent_reg is not None:
        for old_parent in alias_urns(parent_reg, by_urn, stack, project):
            own.add(make_urn(stack, project, old_parent, reg.type, reg.name))
    return own


def record(cloud: str, config: dict[str, Any]) -> list[Registration]:
    """Run the whole sample application on ``cloud`` under mocks; every registration, in order,
    with the URN and alias URNs the engine would key its state by."""
    from pulumi_harness import PROJECT, deploy

    from tools.capture import recording

    with recording() as found:
        deploy(cloud, _compose(), config)
    real: dict[str, str] = {}  # the mock monitor's URN -> the engine's
    registrations: list[Registration] = []
    for r in found:
        parent = real.get(r.parent or "", "")  # "" for a child of the stack, as the engine writes it
        aliases = [
            Alias(urn=a["urn"])
            if "urn" in a
            else Alias(
                name=a["name"],
                type=a["type"],
                parent_urn=real.get(a["parentUrn"], a["parentUrn"]),
                no_parent=a["noParent"],
            )
            for a in r.aliases
        ]
        urn = make_urn(cloud, PROJECT, parent, r.type, r.name)
        real[r.urn] = urn
        registrations.append(Registration(urn, r.type, r.name, parent, aliases))
    return registrations


def _compose() -> Any:
    try:
        from samples import compose
    except ImportError:  # a tree from before the refactor (regenerating the baseline from main)
        from components.samples import compose  # type: ignore[no-redef]
    return compose


def baseline_path(cloud: str) -> Path:
    return DATA / f"urns_{cloud}.json"


def write_baselines() -> None:
    DATA.mkdir(exist_ok=True)
    for cloud, variants in VARIANTS.items():
        doc = {name: sorted(r.urn for r in record(cloud, config)) for name, config in variants.items()}
        baseline_path(cloud).write_text(json.dumps(doc, indent=1) + "\n")
        print(f"{baseline_path(cloud)}: " + ", ".join(f"{k} {len(v)} URNs" for k, v in doc.items()))


if __name__ == "__main__":
    # --tree DIR: evaluate another checkout's program (e.g. `git archive main`), writing here.
    args = sys.argv[1:]
    tree = Path(args[args.index("--tree") + 1]).resolve() if "--tree" in args else TESTS.parent
    if "--write" not in args:
        sys.exit(__doc__)
    # The tree's program first; this checkout's tools/ (the recorder) after it.
    sys.path[:0] = [str(tree), str(tree / "tests")]
    sys.path.append(str(TESTS.parent))
    write_baselines()
