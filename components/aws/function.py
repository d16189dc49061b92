"""Lambda backend of ServerlessFunction."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pulumi
import pulumi_aws as aws

from components.aws.arns import log_group_streams
from components.aws.iam import inline_policy, service_role
from components.permissions import Grant

if TYPE_CHECKING:
    from components.app import Application
    from components.function import FunctionArgs, ServerlessFunction


@dataclass
class AwsFunction:
    name: str
    role: aws.iam.Role
    log_group: aws.cloudwatch.LogGroup
    logging_policy: aws.iam.RolePolicy
    function: aws.lambda_.Function

    @property
    def function_name(self) -> pulumi.Output[str]:
        return self.function.name

    @property
    def arn(self) -> pulumi.Output[str]:
        return self.function.arn

    def attach_policy(self, suffix: str, policy: pulumi.Input[str]) -> aws.iam.RolePolicy:
        return inline_policy(self.role, f"{self.name}-{suffix}", policy)


def create(
    fn: ServerlessFunction,
    app: Application,
    environment: pulumi.Output[Any],
    vpc: pulumi.Output[Any],
) -> AwsFunction:
    name, args = fn.logical_name, fn.args
    child = pulumi.ResourceOptions(parent=fn)
    log_group_name = f"/aws/lambda/{fn.physical_name}"
    execution = service_role(
        name,
        role_name=app.names.physical(name, "fn"),
        service="lambda.amazonaws.com",
        description=f"Execution role of function {fn.physical_name}",
        policy="logging",
        grants=[Grant("logs.write", [log_group_streams(app.region, app.account_id, log_group_name)])],
        parent=fn,
    )
    role, logging_policy = execution.role, execution.policy
    log_group = aws.cloudwatch.LogGroup(
        f"{name}-logs",
        name=log_group_name,
        retention_in_days=app.settings.log_retention_days,
        opts=child,
    )
    function_args: dict[str, Any] = {
        "name": fn.physical_name,
        "role": role.arn,
        "runtime": app.settings.lambda_runtime,
        "handler": fn.handler,
        **fn.code_args,  # FileArchive, or s3_bucket/s3_key (components/artifacts.py)
        "architectures": ["x86_64"],
        "memory_size": args.memory_mb,
        "timeout": args.timeout_s,
        "description": args.description or None,
        "environment": {"variables": environment},
        "vpc_config": vpc,
        "logging_config": {"log_format": "Text", "log_group": log_group.name},
    }
    function_args.update(args.aws)
    function = aws.lambda_.Function(
        name,
        **function_args,
        # The log group and its policy first, so the very first invocation can log.
        opts=pulumi.ResourceOptions(parent=fn, depends_on=[log_group, logging_policy]),
    )
    return AwsFunction(name=name, role=role, log_group=log_group, logging_policy=logging_policy, function=function)


class LambdaBackend:
    """``FunctionBackend`` on AWS Lambda."""

    def validate(self, name: str, args: FunctionArgs) -> None:
        pass  # FUNCTION_LIMITS says all: any memory size in range gets its proportional vCPU

    create = staticmethod(create)


BACKEND = LambdaBackend()
