"""Function Compute 3.0 backend of ServerlessFunction."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pulumi
import pulumi_alicloud as alicloud

from components.function import fc_cpu
from components.permissions import Grant, document, statement, trust_policy

if TYPE_CHECKING:
    from components.app import Application
    from components.function import ServerlessFunction

# SLS's default full-text delimiters, as the console sets them.
LOG_TOKENS = ", '\";=()[]{}?@&<>/:\n\t\r"


def logstore_arn(region: str, account: str, project: str, logstore: str) -> str:
    return f"acs:log:{region}:{account}:project/{project}/logstore/{logstore}"


@dataclass
class AliFunction:
    name: str
    policy_prefix: str
    role: alicloud.ram.Role
    log_project: alicloud.log.Project
    log_store: alicloud.log.Store
    log_index: alicloud.log.StoreIndex
    logging_policy: alicloud.ram.Policy
    logging_attachment: alicloud.ram.RolePolicyAttachment
    function: alicloud.fc.V3Function

    @property
    def function_name(self) -> pulumi.Output[str]:
        return self.function.function_name

    @property
    def arn(self) -> pulumi.Output[str]:
        return self.function.function_arn

    def attach_policy(self, suffix: str, policy: pulumi.Input[str]) -> alicloud.ram.RolePolicyAttachment:
        opts = pulumi.ResourceOptions(parent=self.role)
        custom = alicloud.ram.Policy(
            f"{self.name}-{suffix}",
            policy_name=f"{self.policy_prefix}-{suffix}",
            policy_document=policy,
            description=f"{suffix} of function {self.name}",
            force=True,
            opts=opts,
        )
        return alicloud.ram.RolePolicyAttachment(
            f"{self.name}-{suffix}",
            role_name=self.role.role_name,
            policy_name=custom.policy_name,
            policy_type="Custom",
            opts=opts,
        )


def create(
    fn: ServerlessFunction,
    app: Application,
    environment: pulumi.Output[Any],
    vpc: pulumi.Output[Any],
) -> AliFunction:
    name, args = fn.logical_name, fn.args
    child = pulumi.ResourceOptions(parent=fn)
    role = alicloud.ram.Role(
        f"{name}-role",
        role_name=app.names.physical(name, "fn"),
        description=f"Execution role of function {fn.physical_name}",
        assume_role_policy_document=trust_policy("ali", "fc.aliyuncs.com"),
        force=True,
        opts=child,
    )
    project_name = app.names.physical(name, "log")
    logstore_name = f"{name}-logs"
    project = alicloud.log.Project(
        f"{name}-log-project",
        project_name=project_name,
        description=f"Logs of function {fn.physical_name}",
        opts=child,
    )
    store = alicloud.log.Store(
        f"{name}-logstore",
        project_name=project.project_name,
        logstore_name=logstore_name,
        retention_period=app.settings.log_retention_days,
        shard_count=2,
        auto_split=True,
        max_split_shard_count=64,
        opts=pulumi.ResourceOptions(parent=project),
    )
    index = alicloud.log.StoreIndex(
        f"{name}-log-index",
        project=project.project_name,
        logstore=store.logstore_name,
        full_text={"case_sensitive": False, "token": LOG_TOKENS},
        opts=pulumi.ResourceOptions(parent=store),
    )
    logging = Grant("logs.write", [logstore_arn(app.region, app.account_id, project_name, logstore_name)])
    policy_prefix = app.names.physical(name, "fn")
    logging_policy = alicloud.ram.Policy(
        f"{name}-logging",
        policy_name=f"{policy_prefix}-logging",
        policy_document=document("ali", [statement("ali", logging, list(logging.resources))]),
        description=f"Lets function {fn.physical_name} write its own logstore only",
        force=True,
        opts=pulumi.ResourceOptions(parent=role),
    )
    attachment = alicloud.ram.RolePolicyAttachment(
        f"{name}-logging",
        role_name=role.role_name,
        policy_name=logging_policy.policy_name,
        policy_type="Custom",
        opts=pulumi.ResourceOptions(parent=role),
    )
    function_args: dict[str, Any] = {
        "function_name": fn.physical_name,
        "runtime": app.settings.fc_runtime,
        "handler": fn.handler,
        **fn.code_args,  # code: the OSS bucket and object (components/artifacts.py)
        "role": role.arn,
        "memory_size": args.memory_mb,
        "cpu": fc_cpu(args.memory_mb),
        "disk_size": 512,
        "timeout": args.timeout_s,
        "description": args.description or None,
        "environment_variables": environment,
        "internet_access": True,
        "vpc_config": vpc,
        "log_config": {
            "project": project.project_name,
            "logstore": store.logstore_name,
            "enable_request_metrics": True,
            "enable_instance_metrics": True,
            "log_begin_rule": "DefaultRegex",
        },
    }
    function_args.update(args.ali)
    function = alicloud.fc.V3Function(
        name,
        **function_args,
        # FC checks at creation that it can write the logstore: index and policy first.
        opts=pulumi.ResourceOptions(parent=fn, depends_on=[index, attachment]),
    )
    return AliFunction(
        name=name,
        policy_prefix=policy_prefix,
        role=role,
        log_project=project,
        log_store=store,
        log_index=index,
        logging_policy=logging_policy,
        logging_attachment=attachment,
        function=function,
    )
