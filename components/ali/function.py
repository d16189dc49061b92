"""Function Compute 3.0 backend of ServerlessFunction."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pulumi
import pulumi_alicloud as alicloud

from components.ali.arns import logstore as logstore_arn
from components.ali.ram import custom_policy, service_role
from components.errors import invalid
from components.limits import fc_cpu, fc_cpu_window
from components.permissions import Grant

if TYPE_CHECKING:
    from components.app import Application
    from components.function import FunctionArgs, ServerlessFunction

# SLS's default full-text delimiters, as the console sets them.
LOG_TOKENS = ", '\";=()[]{}?@&<>/:\n\t\r"


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
        return custom_policy(
            self.role,
            f"{self.name}-{suffix}",
            policy_name=f"{self.policy_prefix}-{suffix}",
            document=policy,
            description=f"{suffix} of function {self.name}",
        ).attachment


def create(
    fn: ServerlessFunction,
    app: Application,
    environment: pulumi.Output[Any],
    vpc: pulumi.Output[Any],
) -> AliFunction:
    name, args = fn.logical_name, fn.args
    child = pulumi.ResourceOptions(parent=fn)
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
    policy_prefix = app.names.physical(name, "fn")
    execution = service_role(
        name,
        role_name=policy_prefix,
        service="fc.aliyuncs.com",
        description=f"Execution role of function {fn.physical_name}",
        policy="logging",
        policy_name=f"{policy_prefix}-logging",
        policy_description=f"Lets function {fn.physical_name} write its own logstore only",
        grants=[Grant("logs.write", [logstore_arn(app.region, app.account_id, project_name, logstore_name)])],
        parent=fn,
    )
    role, logging_policy, attachment = execution.role, execution.policy, execution.attachment
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


class FcBackend:
    """``FunctionBackend`` on Function Compute 3.0."""

    def validate(self, name: str, args: FunctionArgs) -> None:
        low_cpu, high_cpu = fc_cpu_window(args.memory_mb)
        if low_cpu > high_cpu:  # cannot happen for 128..32768 MB; kept so a new limit cannot slip by
            raise invalid(
                f"function '{name}' memory_mb",
                args.memory_mb,
                "a size for which FC 3.0 offers a vCPU (0.05-16 vCPU, vCPU:GB between 1:1 and 1:4)",
            )

    create = staticmethod(create)


BACKEND = FcBackend()
