"""The picture of each stack (python -m tools.picture) is drawn from the program and kept current."""

from __future__ import annotations

from types import SimpleNamespace

from tools import picture


def _reg(urn: str, type_: str, parent: str | None, *, custom: bool = True) -> SimpleNamespace:
    return SimpleNamespace(urn=urn, type=type_, name=urn.rsplit("::", 1)[1], parent=parent, custom=custom)


def test_components_own_native_descendants_but_not_nested_components() -> None:
    regs = [
        _reg("u::db", "multicloud:index:PgDatabase", None, custom=False),
        _reg("u::vpc", "aws:ec2/vpc:Vpc", "u::db"),
        _reg("u::sg", "aws:ec2/securityGroup:SecurityGroup", "u::vpc"),  # a native child of a native
        _reg("u::admin", "multicloud:index:ServerlessFunction", "u::db", custom=False),
        _reg("u::role", "aws:iam/role:Role", "u::admin"),
        _reg("u::policy", "aws:iam/rolePolicy:RolePolicy", "u::role"),
        _reg("u::loose", "aws:s3/bucket:Bucket", None),
    ]
    found = {(c.kind, c.name): c for c in picture.components_of(regs)}
    assert sorted(found) == [("PgDatabase", "db"), ("ServerlessFunction", "admin")]
    assert [n.type for n in found["PgDatabase", "db"].natives] == ["ec2.Vpc", "ec2.SecurityGroup"]
    assert found["PgDatabase", "db"].components == ["ServerlessFunction::admin"]
    assert [n.type for n in found["ServerlessFunction", "admin"].natives] == ["iam.Role", "iam.RolePolicy"]


def test_short_types() -> None:
    assert picture.short_type("aws:iam/role:Role") == "iam.Role"
    assert picture.short_type("alicloud:fc/v3Function:V3Function") == "fc.V3Function"


def test_readme_and_docs_picture_are_current() -> None:
    """Fails when a component's resources change and the picture was not regenerated."""
    assert picture.main(["--check"]) == 0
