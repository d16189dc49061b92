"""The stack's configuration, read once and validated before any resource exists.

Every key in this project's config namespace must be one of :data:`KEYS`; a typo is an error,
not a silently ignored setting. Provider keys (``aws:region``, ``alicloud:region``) are checked
for the cloud the stack selects.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

import pulumi
from pulumi.runtime.config import CONFIG, get_config_env

from components.errors import invalid, one_of
from components.passwords import check_password

CLOUDS = ("aws", "ali")
SAMPLES = (
    "basic",
    "timer",
    "trigger_object_storage",
    "output_object_storage",
    "trigger_notification",
    "output_notification",
    "output_postgresql",
    "thumbnailer",
)
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


def _samples(value: Any) -> tuple[str, ...]:
    if value is None:
        return SAMPLES
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise invalid(_key("samples"), value, "a non-empty list of sample names; " + one_of(SAMPLES))
    unknown = [v for v in value if v not in SAMPLES]
    if unknown:
        raise invalid(_key("samples"), unknown, one_of(SAMPLES))
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
        return False
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


# Every key of this project's config namespace; anything else is a typo and an error.
KEYS = (
    "cloud",
    "samples",
    "logRetentionDays",
    "lambdaRuntime",
    "fcRuntime",
    "nameSuffix",
    "throwaway",
    "createServiceLinkedRoles",
    "dbPassword",
)

# Settings that only some samples read: set while none of those samples is deployed, they would
# do nothing, so they are refused (the brief's rule: map a setting or refuse it, never ignore it).
# A program that declares its own PgDatabase instead of the samples gets a warning at the end of
# the program when nothing used ``dbPassword`` (see ``Application.finalize``).
USED_ONLY_BY = {
    "dbPassword": ("output_postgresql",),
    "createServiceLinkedRoles": ("trigger_notification", "output_postgresql"),
}


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


def _refuse_unused(given: dict[str, bool], samples: tuple[str, ...]) -> None:
    """Refuse a setting that no selected sample reads (it would be accepted and do nothing)."""
    for name, is_set in given.items():
        users = USED_ONLY_BY[name]
        if is_set and not set(users) & set(samples):
            shown = "<secret not shown>" if name == "dbPassword" else "true"
            raise pulumi.RunError(
                f"{_key(name)}: got {shown}, but no selected sample uses it (samples: {', '.join(samples)}); "
                f"it is read only by {' and '.join(users)}: add one of them to 'samples' or remove it "
                f"(pulumi config rm {name})"
            )


def load() -> StackSettings:
    """Read and validate the whole configuration, raising ``pulumi.RunError`` on the first problem."""
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
        samples = _samples(None if raw_samples is None else json.loads(raw_samples))
    except json.JSONDecodeError:  # a plain string such as "basic"
        raise invalid(_key("samples"), raw_samples, "a YAML/JSON list of sample names") from None

    retention = _int("logRetentionDays", cfg.get("logRetentionDays"), 30)
    if cloud == "aws" and retention not in AWS_RETENTION_DAYS:
        raise invalid(_key("logRetentionDays"), retention, "on AWS one of " + ", ".join(map(str, AWS_RETENTION_DAYS)))
    if cloud == "ali" and not 1 <= retention <= 3650:
        raise invalid(_key("logRetentionDays"), retention, "on Alibaba Cloud 1..3650 days")

    if cloud == "ali":
        fc_runtime = fc_runtime_for(region, cfg.get("fcRuntime"))
    else:
        fc_runtime = _choice("fcRuntime", cfg.get("fcRuntime"), FC_RUNTIMES, StackSettings.fc_runtime)

    suffix = cfg.get("nameSuffix")
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
    _refuse_unused({"dbPassword": plain_password is not None, "createServiceLinkedRoles": service_roles}, samples)
    return StackSettings(
        project=project,
        stack=stack,
        cloud=cloud,
        region=region,
        samples=samples,
        log_retention_days=retention,
        lambda_runtime=_choice("lambdaRuntime", cfg.get("lambdaRuntime"), LAMBDA_RUNTIMES, "python3.12"),
        fc_runtime=fc_runtime,
        name_suffix=suffix,
        throwaway=_bool("throwaway", cfg.get("throwaway")),
        create_service_linked_roles=service_roles,
        db_password=password,
    )
