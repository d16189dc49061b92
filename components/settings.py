"""The stack's configuration, read once and validated before any resource exists.

Every key in this project's config namespace must be one of :data:`KEYS`; a typo is an error,
not a silently ignored setting. Provider keys (``aws:region``, ``alicloud:region``) are checked
for the cloud the stack selects.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
from pulumi.runtime.config import CONFIG, get_config_env

from components.errors import invalid, one_of
from components.passwords import check_password

CLOUDS = ("aws", "ali")
LAMBDA_RUNTIMES = ("python3.12", "python3.13", "python3.14")
# FC 3.0 Python runtimes (FC "Python" runtime page, alibabacloud.com/help/en/functioncompute/fc/python/,
# updated 2026-06-02; the pt-br page of 2026-10-26 says the same): python3.10 (Debian 10) in every
# region; python3.12 (Debian 11) only in the regions below (not Singapore, Jakarta, Kuala Lumpur...).
# CPython 3.10 reached its upstream end of life in October 2026, so python3.12 is the default
# wherever FC offers it; elsewhere the default stays python3.10 and the program says so (a warning).
FC_RUNTIMES = ("python3.10", "python3.12")
FC_PY312_REGIONS = frozenset(
    {
        "cn-hangzhou",  # China (Hangzhou)
        "cn-shanghai",  # China (Shanghai)
        "cn-qingdao",  # China (Qingdao)
        "cn-beijing",  # China (Beijing)
        "cn-zhangjiakou",  # China (Zhangjiakou)
        "cn-huhehaote",  # China (Hohhot)
        "cn-shenzhen",  # China (Shenzhen)
        "cn-chengdu",  # China (Chengdu)
        "cn-hongkong",  # China (Hong Kong)
        "ap-northeast-1",  # Japan (Tokyo)
        "ap-southeast-7",  # Thailand (Bangkok)
        "ap-northeast-2",  # South Korea (Seoul)
        "eu-central-1",  # Germany (Frankfurt)
        "eu-west-1",  # UK (London)
        "us-east-1",  # US (Virginia)
        "us-west-1",  # US (Silicon Valley)
    }
)
FC_EOL_RUNTIMES = {"python3.10": "CPython 3.10 reached its upstream end of life in October 2026"}
# CloudWatch Logs accepts only these retention periods (PutRetentionPolicy).
AWS_RETENTION_DAYS = (
    1,
    3,
    5,
    7,
    14,
    30,
    60,
    90,
    120,
    150,
    180,
    365,
    400,
    545,
    731,
    1096,
    1827,
    2192,
    2557,
    2922,
    3288,
    3653,
)
AWS_REGION = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$")
ALI_REGION = re.compile(r"^[a-z]{2}-[a-z]+(-[a-z0-9]+)*$")


@dataclass(frozen=True)
class StackSettings:
    project: str
    stack: str
    cloud: str
    region: str
    samples: tuple[str, ...]
    log_retention_days: int = 30
    lambda_runtime: str = "python3.12"
    fc_runtime: str = "python3.12"
    name_suffix: str | None = None
    throwaway: bool = False
    create_service_linked_roles: bool = False
    keep_artifacts: bool = False
    db_password: pulumi.Output[str] | None = None

    @property
    def runtime(self) -> str:
        return self.lambda_runtime if self.cloud == "aws" else self.fc_runtime


def _key(name: str) -> str:
    return f"config '{name}'"


def _cloud(value: Any) -> str:
    if value not in CLOUDS:
        hint = " (set it with: pulumi config set cloud aws|ali)" if value is None else ""
        raise invalid(_key("cloud"), value, one_of(CLOUDS) + hint)
    return value


def _samples(value: Any, registered: tuple[str, ...]) -> tuple[str, ...]:
    """The selection among the samples the application registered (all of them by default)."""
    if value is None or value == [ALL_SAMPLES]:
        return registered
    known = one_of(registered) if registered else "this program registers no samples"
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise invalid(_key("samples"), value, f"a non-empty list of sample names, or [{ALL_SAMPLES}]; " + known)
    unknown = [v for v in value if v not in registered]
    if unknown:
        raise invalid(
            _key("samples"),
            unknown,
            "registered samples: " + (", ".join(map(repr, registered)) or "none") + f"; or [{ALL_SAMPLES}] alone",
        )
    if len(set(value)) != len(value):
        raise invalid(_key("samples"), value, "each sample at most once")
    return tuple(value)


def _int(name: str, value: Any, default: int) -> int:
    if value is None:
        return default
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise invalid(_key(name), value, "a whole number") from None
    if str(number) != str(value).strip():
        raise invalid(_key(name), value, "a whole number")
    return number


def _bool(name: str, value: Any) -> bool:
    if value is None:
        return DEFAULTS[name]
    if isinstance(value, bool):
        return value
    if str(value).lower() in ("true", "false"):
        return str(value).lower() == "true"
    raise invalid(_key(name), value, "true or false")


def _choice(name: str, value: Any, allowed: tuple[str, ...], default: str) -> str:
    if value is None:
        return default
    if value not in allowed:
        raise invalid(_key(name), value, one_of(allowed))
    return value


@dataclass(frozen=True)
class ConfigKey:
    """One key of this project's config namespace, as ``Pulumi.yaml`` declares it.

    ``default`` is what an unset key means, the value ``load()`` uses and ``Pulumi.yaml``
    declares (a test keeps the two in step, both ways). ``required`` keys have no default:
    Pulumi itself refuses a stack that lacks one. ``declared`` is False only for an optional
    secret: Pulumi makes a declared key without a default required, and a declared secret
    cannot have a default, which would be a plaintext value (pulumi/pulumi
    sdk/go/common/workspace/config.go, ``mergeConfig`` and ``validateStackConfigValue``).
    """

    name: str
    type: str  # Pulumi.yaml's: string, integer, boolean, array (of strings)
    description: str
    default: Any = None
    required: bool = False
    secret: bool = False
    declared: bool = True


ALL_SAMPLES = "all"
CONFIG_KEYS = (
    ConfigKey("cloud", "string", "The cloud this stack deploys to: aws or ali.", required=True),
    ConfigKey(
        "samples",
        "array",
        f"Which samples to deploy: [{ALL_SAMPLES}] (every sample) or a list of sample names.",
        default=[ALL_SAMPLES],
    ),
    ConfigKey(
        "logRetentionDays",
        "integer",
        "Log retention of every function, in days (AWS: one of CloudWatch's periods; Alibaba Cloud: 1..3650).",
        default=30,
    ),
    ConfigKey("lambdaRuntime", "string", "Lambda runtime: " + ", ".join(LAMBDA_RUNTIMES) + ".", default="python3.12"),
    ConfigKey(
        "fcRuntime",
        "string",
        "FC 3.0 runtime: "
        + ", ".join(FC_RUNTIMES)
        + "; empty: python3.12 where the region offers it, else python3.10.",
        default="",
    ),
    ConfigKey(
        "nameSuffix",
        "string",
        "Overrides the per-stack name suffix (4-8 lowercase letters or digits); empty: derived from the stack.",
        default="",
    ),
    ConfigKey(
        "throwaway",
        "boolean",
        "For test stacks: no deletion protection or final snapshot on databases, buckets force-destroyed.",
        default=False,
    ),
    ConfigKey(
        "createServiceLinkedRoles",
        "boolean",
        "Alibaba Cloud: create the account-wide service-linked roles the samples need (first stack of an account).",
        default=False,
    ),
    ConfigKey(
        "keepArtifacts",
        "boolean",
        "Keep the function-code artifact bucket and its zips on destroy and replacement (default: deleted).",
        default=False,
    ),
    ConfigKey(
        "dbPassword",
        "string",
        "Password of the database login (set with --secret); unset, it is generated.",
        secret=True,
        declared=False,
    ),
)
# Every key of this project's config namespace; anything else is a typo and an error.
KEYS = tuple(k.name for k in CONFIG_KEYS)
DEFAULTS = {k.name: k.default for k in CONFIG_KEYS if not k.required}


def _all_config() -> dict[str, Any]:
    merged = dict(get_config_env())
    merged.update(CONFIG.get())
    return merged


def fc_runtime_for(region: str, value: Any) -> str:
    """The FC runtime of an Alibaba Cloud stack: ``fcRuntime`` if set, else python3.12 where the
    region offers it and python3.10 elsewhere. Whenever python3.10 is in effect the program warns
    (end of life), so a region-dependent default is never silent."""
    offered = region in FC_PY312_REGIONS
    allowed = FC_RUNTIMES if offered else ("python3.10",)
    runtime = _choice("fcRuntime", value, FC_RUNTIMES, "python3.12" if offered else "python3.10")
    if runtime not in allowed:
        raise invalid(
            _key("fcRuntime"),
            runtime,
            f"allowed in region {region!r}: 'python3.10' (FC offers python3.12 only in "
            + ", ".join(sorted(FC_PY312_REGIONS))
            + ")",
        )
    if runtime in FC_EOL_RUNTIMES:
        how = "set by fcRuntime" if value is not None else f"the default in {region}, where FC offers no python3.12"
        pulumi.log.warn(
            f"fcRuntime {runtime} ({how}): {FC_EOL_RUNTIMES[runtime]}; FC may deprecate it. "
            f"Move to python3.12 (regions: {', '.join(sorted(FC_PY312_REGIONS))})."
        )
    return runtime


def _refuse_unread(given: Mapping[str, bool], selected: tuple[str, ...], readers: Mapping[str, Sequence[str]]) -> None:
    """Refuse a setting that is set while no selected sample reads it: it would do nothing."""
    for name, users in readers.items():
        if given.get(name) and not set(users) & set(selected):
            shown = "<secret not shown>" if name == "dbPassword" else "true"
            raise pulumi.RunError(
                f"{_key(name)}: got {shown}, but no selected sample reads it (samples: {', '.join(selected)}); "
                f"it is read only by {' and '.join(users)}: add one of them to 'samples' or remove it "
                f"(pulumi config rm {name})"
            )


def load(samples: Sequence[str] = (), readers: Mapping[str, Sequence[str]] | None = None) -> StackSettings:
    """Read and validate the whole configuration, raising ``pulumi.RunError`` on the first problem.

    ``samples``: the names the application registered (``samples.registered()``); the
    ``samples`` setting selects among them and defaults to all of them. ``readers``: for an
    optional setting that only some samples read (``dbPassword``, ``createServiceLinkedRoles``),
    the samples that read it; set while none of them is selected, it would be accepted and do
    nothing, so it is refused here, before any resource.
    """
    project, stack = pulumi.get_project(), pulumi.get_stack()
    unknown = sorted(
        k.split(":", 1)[1] for k in _all_config() if k.startswith(f"{project}:") and k.split(":", 1)[1] not in KEYS
    )
    if unknown:
        raise invalid(f"config key '{unknown[0]}'", unknown[0], "known keys: " + ", ".join(KEYS))

    cfg = pulumi.Config()
    cloud = _cloud(cfg.get("cloud"))
    if cloud == "aws":
        region = pulumi.Config("aws").get("region")
        if not region or not AWS_REGION.match(region):
            raise invalid(_key("aws:region"), region, "an AWS region such as 'us-east-1'")
    else:
        region = pulumi.Config("alicloud").get("region")
        if not region or not ALI_REGION.match(region):
            raise invalid(_key("alicloud:region"), region, "an Alibaba Cloud region such as 'cn-hangzhou'")

    raw_samples = cfg.get("samples")
    try:
        selected = _samples(None if raw_samples is None else json.loads(raw_samples), tuple(samples))
    except json.JSONDecodeError:  # a plain string such as "basic"
        raise invalid(_key("samples"), raw_samples, "a YAML/JSON list of sample names") from None

    retention = _int("logRetentionDays", cfg.get("logRetentionDays"), DEFAULTS["logRetentionDays"])
    if cloud == "aws" and retention not in AWS_RETENTION_DAYS:
        raise invalid(_key("logRetentionDays"), retention, "on AWS one of " + ", ".join(map(str, AWS_RETENTION_DAYS)))
    if cloud == "ali" and not 1 <= retention <= 3650:
        raise invalid(_key("logRetentionDays"), retention, "on Alibaba Cloud 1..3650 days")

    fc_value = cfg.get("fcRuntime") or None  # Pulumi.yaml's default is "": the region's default
    if cloud == "ali":
        fc_runtime = fc_runtime_for(region, fc_value)
    else:
        fc_runtime = _choice("fcRuntime", fc_value, FC_RUNTIMES, StackSettings.fc_runtime)

    suffix = cfg.get("nameSuffix") or None  # Pulumi.yaml's default is "": derived
    if suffix is not None and not re.match(r"^[a-z0-9]{4,8}$", suffix):
        raise invalid(_key("nameSuffix"), suffix, "4-8 lowercase letters or digits")

    service_roles = _bool("createServiceLinkedRoles", cfg.get("createServiceLinkedRoles"))
    if service_roles and cloud == "aws":
        # Lambda, RDS and EventBridge create theirs on AWS; a true here is a copied Alibaba setting.
        raise invalid(_key("createServiceLinkedRoles"), True, "false on AWS (it is an Alibaba Cloud setting)")

    password = cfg.get_secret("dbPassword")
    plain_password = _all_config().get(f"{project}:dbPassword")  # checked here, never echoed
    if plain_password is not None:
        check_password(_key("dbPassword"), plain_password)
    throwaway = _bool("throwaway", cfg.get("throwaway"))
    # The optional settings whose effect depends on what the samples build, and whether each is set.
    given = {
        "dbPassword": plain_password is not None,
        "createServiceLinkedRoles": service_roles,
        "throwaway": throwaway,
    }
    unknown_readers = sorted(set(readers or {}) - set(given))
    if unknown_readers:
        raise pulumi.RunError(f"samples declare reading {unknown_readers}; only {sorted(given)} can be declared")
    _refuse_unread(given, selected, readers or {})
    return StackSettings(
        project=project,
        stack=stack,
        cloud=cloud,
        region=region,
        samples=selected,
        log_retention_days=retention,
        lambda_runtime=_choice("lambdaRuntime", cfg.get("lambdaRuntime"), LAMBDA_RUNTIMES, DEFAULTS["lambdaRuntime"]),
        fc_runtime=fc_runtime,
        name_suffix=suffix,
        throwaway=throwaway,
        create_service_linked_roles=service_roles,
        keep_artifacts=_bool("keepArtifacts", cfg.get("keepArtifacts")),
        db_password=password,
    )
