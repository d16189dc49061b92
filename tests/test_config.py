"""Every bad configuration stops the program with a RunError that names key, value and choices,
before any resource is registered."""

from __future__ import annotations

import pulumi
import pulumi_harness
import pytest
from pulumi_harness import deploy

from components.settings import KEYS
from samples import compose


def _fails(cloud: str, config: dict, *, base: bool = True) -> str:
    registered: list = []

    def program(app):  # must never run
        registered.append(app)
        return compose(app)

    with pytest.raises(pulumi.RunError) as err:
        deploy(cloud, program, config, base=base)
    assert registered == [], "the program body ran although the config is invalid"
    assert pulumi_harness.last_mocks is not None and pulumi_harness.last_mocks.resources == []
    return str(err.value)


@pytest.mark.parametrize("value", [None, "azure", "AWS ", "Aws", "", "gcp"])
def test_cloud_must_be_aws_or_ali(value: str | None) -> None:
    message = _fails("aws", {"cloud": value})
    assert "config 'cloud'" in message
    assert repr(value) in message
    assert "'aws'" in message and "'ali'" in message


def test_unknown_key_is_a_typo_not_a_silent_default() -> None:
    message = _fails("aws", {"logRetentionDay": "14"})
    assert "logRetentionDay" in message and "known keys" in message


@pytest.mark.parametrize(
    ("cloud", "config", "needles"),
    [
        ("aws", {"aws:region": None}, ["aws:region", "None"]),
        ("aws", {"aws:region": "US-EAST-1"}, ["aws:region", "'US-EAST-1'"]),
        ("ali", {"alicloud:region": None}, ["alicloud:region"]),
        ("ali", {"alicloud:region": "Hangzhou"}, ["alicloud:region", "'Hangzhou'"]),
        ("aws", {"samples": ["basic", "nope"]}, ["samples", "'nope'", "'timer'"]),
        ("aws", {"samples": []}, ["samples", "non-empty"]),
        ("aws", {"samples": ["all", "basic"]}, ["samples", "'all'", "[all] alone"]),
        ("aws", {"samples": ["basic", "basic"]}, ["samples", "at most once"]),
        ("aws", {"samples": "basic"}, ["samples", "list"]),
        ("aws", {"logRetentionDays": "10"}, ["logRetentionDays", "10", "14"]),
        ("aws", {"logRetentionDays": "two weeks"}, ["logRetentionDays", "whole number"]),
        ("ali", {"logRetentionDays": "4000"}, ["logRetentionDays", "1..3650"]),
        ("aws", {"lambdaRuntime": "python3.9"}, ["lambdaRuntime", "'python3.9'", "'python3.12'"]),
        ("ali", {"fcRuntime": "python3.11"}, ["fcRuntime", "'python3.11'", "'python3.10'"]),
        (
            "ali",
            {"fcRuntime": "python3.12", "alicloud:region": "ap-southeast-1"},
            ["fcRuntime", "'python3.12'", "ap-southeast-1", "allowed", "'python3.10'", "eu-west-1"],
        ),
        ("aws", {"nameSuffix": "ABC"}, ["nameSuffix", "'ABC'", "4-8"]),
        ("aws", {"throwaway": "maybe"}, ["throwaway", "'maybe'", "true or false"]),
        ("ali", {"createServiceLinkedRoles": "yes"}, ["createServiceLinkedRoles", "'yes'", "true or false"]),
        ("aws", {"createServiceLinkedRoles": "true"}, ["createServiceLinkedRoles", "True", "Alibaba Cloud setting"]),
        ("ali", {"keepArtifacts": "yes"}, ["keepArtifacts", "'yes'", "true or false"]),
        # The database password: checked here, not when the database is declared (after the other
        # samples' resources), and never echoed.
        ("ali", {"dbPassword": "password1"}, ["dbPassword", "<secret not shown>", "at least three"]),
        ("aws", {"dbPassword": "password1"}, ["dbPassword", "<secret not shown>", "at least three"]),
        ("ali", {"dbPassword": "Sh0rt!"}, ["dbPassword", "8-32"]),
        ("ali", {"dbPassword": "Aa1!" * 9}, ["dbPassword", "8-32"]),
        ("aws", {"dbPassword": "Sup3r@Secret_42"}, ["dbPassword", "!#$%^&*()_+-="]),  # '@': RDS refuses it
        ("ali", {"dbPassword": "Sup3r Secret_42"}, ["dbPassword"]),
        # A setting no selected sample reads would do nothing: refused, not ignored.
        (
            "ali",
            {"samples": ["basic", "timer"], "dbPassword": "Sup3r-Secret_42"},
            ["dbPassword", "<secret not shown>", "no selected sample reads it", "output_postgresql", "config rm"],
        ),
        (
            "aws",
            {"samples": ["thumbnailer"], "dbPassword": "Sup3r-Secret_42"},
            ["dbPassword", "<secret not shown>", "samples: thumbnailer", "output_postgresql"],
        ),
        (
            "ali",
            {"samples": ["basic", "thumbnailer"], "createServiceLinkedRoles": "true"},
            ["createServiceLinkedRoles", "no selected sample", "output_postgresql and trigger_notification"],
        ),
    ],
)
def test_each_setting_is_validated_up_front(cloud: str, config: dict, needles: list[str]) -> None:
    message = _fails(cloud, config)
    for needle in needles:
        assert needle in message, message
    if "dbPassword" in config:
        assert config["dbPassword"] not in message  # a secret is never echoed


def test_every_key_has_a_bad_value_in_the_table() -> None:
    import inspect

    source = inspect.getsource(test_each_setting_is_validated_up_front) + inspect.getsource(
        test_cloud_must_be_aws_or_ali
    )
    table = str(test_each_setting_is_validated_up_front.pytestmark[0].args[1])  # type: ignore[attr-defined]
    untested = [k for k in KEYS if f"'{k}'" not in table and f'"{k}"' not in source]
    assert untested == [], f"settings without a bad-value case: {untested}"


def test_valid_settings_are_applied(cloud: str) -> None:
    deployment = deploy(cloud, compose, {"samples": ["basic"], "logRetentionDays": "60", "nameSuffix": "demo1"})
    names = {r.name for r in deployment.resources}
    assert "basic" in names and "timer" not in names
    if cloud == "aws":
        lg = deployment.one("aws:cloudwatch/logGroup:LogGroup")
        assert lg.inputs["retentionInDays"] == 60
        assert deployment.one("aws:lambda/function:Function").inputs["name"] == "basic-demo1"
    else:
        store = deployment.one("alicloud:log/store:Store")
        assert store.inputs["retentionPeriod"] == 60
        assert deployment.one("alicloud:fc/v3Function:V3Function").inputs["functionName"] == "basic-demo1"


# FC's "Python" runtime page (2026-06): python3.12 in these regions, python3.10 everywhere.
PY312 = [
    "cn-hangzhou",
    "cn-shanghai",
    "cn-qingdao",
    "cn-beijing",
    "cn-zhangjiakou",
    "cn-huhehaote",
    "cn-shenzhen",
    "cn-chengdu",
    "cn-hongkong",
    "ap-northeast-1",
    "ap-southeast-7",
    "ap-northeast-2",
    "eu-central-1",
    "eu-west-1",
    "us-east-1",
    "us-west-1",
]
PY310_ONLY = ["ap-southeast-1", "ap-southeast-3", "ap-southeast-5", "ap-southeast-6", "me-east-1", "cn-guangzhou"]


def _fc_runtime(region: str, runtime: str | None, monkeypatch: pytest.MonkeyPatch) -> tuple[str, list[str]]:
    warnings: list[str] = []
    monkeypatch.setattr(pulumi.log, "warn", lambda msg, *a, **k: warnings.append(msg))
    config = {"alicloud:region": region, "fcRuntime": runtime}
    deployment = deploy("ali", lambda app: app.settings.runtime, config)
    return deployment.outputs, warnings


@pytest.mark.parametrize("region", PY312)
def test_fc_default_is_python312_where_the_region_offers_it(region: str, monkeypatch: pytest.MonkeyPatch) -> None:
    assert _fc_runtime(region, None, monkeypatch) == ("python3.12", [])
    assert _fc_runtime(region, "python3.12", monkeypatch) == ("python3.12", [])


@pytest.mark.parametrize("region", PY310_ONLY)
def test_fc_default_falls_back_to_python310_with_a_warning(region: str, monkeypatch: pytest.MonkeyPatch) -> None:
    runtime, warnings = _fc_runtime(region, None, monkeypatch)
    assert runtime == "python3.10"
    assert len(warnings) == 1
    assert f"the default in {region}" in warnings[0] and "end of life" in warnings[0], warnings


@pytest.mark.parametrize("region", [*PY310_ONLY, "cn-hangzhou"])
def test_fc_python310_stays_selectable_and_warns(region: str, monkeypatch: pytest.MonkeyPatch) -> None:
    runtime, warnings = _fc_runtime(region, "python3.10", monkeypatch)
    assert runtime == "python3.10"
    assert len(warnings) == 1 and "set by fcRuntime" in warnings[0], warnings


@pytest.mark.parametrize("region", PY310_ONLY)
def test_fc_python312_is_refused_where_not_offered(region: str) -> None:
    message = _fails("ali", {"alicloud:region": region, "fcRuntime": "python3.12"})
    assert f"region '{region}'" in message and "allowed" in message and "'python3.10'" in message, message


def test_fc_runtime_of_the_deployed_function_follows_the_region() -> None:
    fn = "alicloud:fc/v3Function:V3Function"
    assert deploy("ali", compose, {"samples": ["basic"]}).one(fn).inputs["runtime"] == "python3.12"
    far = deploy("ali", compose, {"samples": ["basic"], "alicloud:region": "ap-southeast-1"})
    assert far.one(fn).inputs["runtime"] == "python3.10"


def test_fc_python312_where_offered() -> None:
    deployment = deploy("ali", compose, {"samples": ["basic"], "fcRuntime": "python3.12"})
    assert deployment.one("alicloud:fc/v3Function:V3Function").inputs["runtime"] == "python3.12"


def test_service_linked_roles_are_created_only_when_asked() -> None:
    samples = {"samples": ["trigger_notification", "output_postgresql"], "dbPassword": "Sup3r-Secret_42"}
    tokens = (
        "alicloud:eventbridge/serviceLinkedRole:ServiceLinkedRole",
        "alicloud:resourcemanager/serviceLinkedRole:ServiceLinkedRole",
    )
    off = deploy("ali", compose, samples)
    assert [r for t in tokens for r in off.of_type(t)] == []
    on = deploy("ali", compose, {**samples, "createServiceLinkedRoles": "true"})
    assert sorted(r.inputs.get("productName") or r.inputs["serviceName"] for t in tokens for r in on.of_type(t)) == [
        "AliyunServiceRoleForEventBridgeSendToFC",
        "AliyunServiceRoleForEventBridgeSendToMNS",
        "AliyunServiceRoleForEventBridgeSourceMNS",
        "fc.aliyuncs.com",
    ]


@pytest.mark.parametrize("sample", ["output_postgresql", "trigger_notification"])
def test_service_linked_roles_accepted_with_either_sample_that_reads_it(sample: str) -> None:
    config = {"samples": [sample], "createServiceLinkedRoles": "true"}
    d = deploy("ali", compose, config)
    roles = d.of_type("alicloud:eventbridge/serviceLinkedRole:ServiceLinkedRole")
    roles += d.of_type("alicloud:resourcemanager/serviceLinkedRole:ServiceLinkedRole")
    assert roles, f"createServiceLinkedRoles with {sample} created no role"


def _warnings(cloud: str, program, config: dict, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    warnings: list[str] = []
    monkeypatch.setattr(pulumi.log, "warn", lambda msg, *a, **k: warnings.append(msg))
    deploy(cloud, program, config)
    return [w for w in warnings if "dbPassword" in w]


def test_db_password_unread_by_any_database_warns_at_the_seal(cloud: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A program of its own (not the samples) may declare no PgDatabase, or give each its own
    password: dbPassword then does nothing, and the seal says so by name (a RunError there would
    stop ``pulumi up`` after resources were created)."""
    from components.database import PgDatabase, PgDatabaseArgs
    from components.function import FunctionArgs, ServerlessFunction

    config = {"dbPassword": "Sup3r-Secret_42"}
    no_db = _warnings(
        cloud, lambda app: ServerlessFunction("fn", FunctionArgs(code="basic")).function_name, config, monkeypatch
    )
    assert len(no_db) == 1 and "no PgDatabase used it" in no_db[0] and "pulumi config rm dbPassword" in no_db[0]
    assert "Sup3r-Secret_42" not in no_db[0]

    own = _warnings(
        cloud, lambda app: PgDatabase("db", PgDatabaseArgs(password="An0ther-Secret_7")).host, config, monkeypatch
    )
    assert len(own) == 1, own
    used = _warnings(cloud, lambda app: PgDatabase("db").host, config, monkeypatch)
    assert used == [], used


def test_samples_declare_exactly_the_optional_settings_they_read() -> None:
    """The refusal above relies on each sample declaring what it reads: pin the declarations."""
    from samples import registered

    reads = {name: build.reads_settings for name, build in registered().items() if build.reads_settings}
    assert reads == {
        "output_postgresql": ("dbPassword", "createServiceLinkedRoles"),
        "trigger_notification": ("createServiceLinkedRoles",),
    }
