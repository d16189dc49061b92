"""The database password on a fresh stack: generated on Alibaba Cloud, a secret wherever it goes."""

from __future__ import annotations

import string
from typing import Any

from pulumi_harness import Deployment, deploy, is_secret

from components.database import PgDatabase
from components.function import FunctionArgs, ServerlessFunction
from components.passwords import check_password
from localcloud.program import SIG_KEY as SECRET_SIG  # the wire key that marks a secret value
from samples import compose

RANDOM_PASSWORD = "random:index/randomPassword:RandomPassword"
# ApsaraDB's documented special characters (ResetAccountPassword, ALIYUN::RDS::Account).
APSARADB_SPECIALS = set("!@#$&%^*()_+-=")


def _places(value: Any, secret: str, path: list[Any], inside_secret: bool = False) -> list[tuple[str, bool]]:
    """Every place in registered inputs holding ``secret``, and whether it is inside a secret."""
    found: list[tuple[str, bool]] = []
    if isinstance(value, dict):
        wrapped = inside_secret or SECRET_SIG in value
        for key, item in value.items():
            found += _places(item, secret, [*path, key], wrapped)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found += _places(item, secret, [*path, i], inside_secret)
    elif isinstance(value, str) and secret in value:
        found.append(("/".join(map(str, path)), inside_secret))
    return found


def _everywhere(d: Deployment, secret: str) -> dict[str, bool]:
    return dict(p for r in d.resources for p in _places(r.inputs, secret, [r.type, r.name]))


def test_fresh_ali_stack_deploys_the_whole_app_without_any_secret() -> None:
    d = deploy("ali", compose)  # no dbPassword, every sample
    generated = d.one(RANDOM_PASSWORD, "tasks-password")
    password = generated.state["result"]
    check_password("generated", password)
    # It reaches the account and the function, and only as a secret.
    assert _everywhere(d, password) == {
        "alicloud:rds/rdsAccount:RdsAccount/tasks-account/accountPassword/value": True,
        "alicloud:fc/v3Function:V3Function/outpg/environmentVariables/value/DB_TASKS_PASSWORD": True,
    }
    account = d.one("alicloud:rds/rdsAccount:RdsAccount")
    assert account.inputs["accountPassword"]["value"] == password


def test_generated_password_follows_apsaradb_rule_by_construction() -> None:
    d = deploy("ali", compose, {"samples": ["output_postgresql"]})
    inputs = d.one(RANDOM_PASSWORD).inputs
    assert inputs == {
        "length": 24,
        "lower": True,
        "upper": True,
        "numeric": True,
        "special": True,
        "minLower": 2,
        "minUpper": 2,
        "minNumeric": 2,
        "minSpecial": 2,
        "overrideSpecial": "!#$%^&*()_+-=",
    }
    assert 8 <= inputs["length"] <= 32  # ApsaraDB: 8-32 characters
    # Four classes present (ApsaraDB needs three), and they fit in the length.
    assert sum(inputs[k] for k in ("minLower", "minUpper", "minNumeric", "minSpecial")) <= inputs["length"]
    specials = set(inputs["overrideSpecial"])
    assert specials <= APSARADB_SPECIALS and "@" not in specials  # '@' is refused by RDS masters
    assert not specials & set(string.ascii_letters + string.digits + " '\"/\\")


def test_generated_password_is_a_secret_output_everywhere() -> None:
    box: dict[str, Any] = {}

    def program(app: Any) -> None:
        db = PgDatabase("tasks")
        fn = ServerlessFunction("outpg", FunctionArgs(code="output_postgresql"))
        db.connect(fn)
        box.update(db=db, fn=fn)

    deploy("ali", program)
    native = box["db"].native
    assert is_secret(native.password)
    assert is_secret(native.account.account_password)
    assert is_secret(box["fn"]._settings["DB_TASKS_PASSWORD"])
    assert is_secret(box["fn"].native.function.environment_variables)


def test_configured_password_overrides_the_generated_one() -> None:
    d = deploy("ali", compose, {"samples": ["output_postgresql"], "dbPassword": "Sup3r-Secret_42"})
    assert d.of_type(RANDOM_PASSWORD) == []
    assert _everywhere(d, "Sup3r-Secret_42") == {
        "alicloud:rds/rdsAccount:RdsAccount/tasks-account/accountPassword/value": True,
        "alicloud:fc/v3Function:V3Function/outpg/environmentVariables/value/DB_TASKS_PASSWORD": True,
    }


def test_aws_keeps_the_rds_managed_master_password(cloud: str) -> None:
    d = deploy(cloud, compose, {"samples": ["output_postgresql"]})
    if cloud == "aws":
        assert d.of_type(RANDOM_PASSWORD) == []
        assert d.one("aws:rds/instance:Instance").inputs["manageMasterUserPassword"] is True
    else:
        assert len(d.of_type(RANDOM_PASSWORD)) == 1


def test_a_weak_password_given_in_code_is_refused_before_the_database(cloud: str) -> None:
    import pulumi
    import pulumi_harness
    import pytest

    from components.database import PgDatabaseArgs

    with pytest.raises(pulumi.RunError) as err:
        deploy(cloud, lambda app: PgDatabase("tasks", PgDatabaseArgs(password="password1")))
    assert "database 'tasks' password" in str(err.value) and "password1" not in str(err.value)
    assert pulumi_harness.last_mocks is not None and pulumi_harness.last_mocks.resources == []


def test_generated_password_is_protected_like_the_instance(monkeypatch: Any) -> None:
    import pulumi_random

    from components.database import PgDatabaseArgs

    made: list[Any] = []
    real = pulumi_random.RandomPassword.__init__

    def spy(self: Any, *args: Any, **kwargs: Any) -> None:
        made.append(self)
        real(self, *args, **kwargs)

    monkeypatch.setattr(pulumi_random.RandomPassword, "__init__", spy)
    deploy("ali", lambda app: PgDatabase("tasks"))
    deploy("ali", lambda app: PgDatabase("tasks", PgDatabaseArgs(throwaway=True)))
    assert [bool(r._protect) for r in made] == [True, False]
