"""EventBridge Scheduler backend of Schedule."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pulumi
import pulumi_aws as aws

from components.permissions import Grant, policy_output, trust_policy

if TYPE_CHECKING:
    from components.app import Application
    from components.cron import Cron, Rate
    from components.schedule import Schedule, ScheduleArgs


@dataclass
class AwsSchedule:
    role: aws.iam.Role
    policy: aws.iam.RolePolicy
    schedule: aws.scheduler.Schedule


def scheduler_input(name: str, payload: object) -> str:
    # Scheduler substitutes <aws.scheduler.scheduled-time> in a templated target's input.
    return json.dumps(
        {"schedule": name, "time": "<aws.scheduler.scheduled-time>", "payload": payload},
        separators=(",", ":"),
        sort_keys=True,
    )


def create(
    component: Schedule, name: str, args: ScheduleArgs, expression: Rate | Cron, app: Application
) -> AwsSchedule:
    child = pulumi.ResourceOptions(parent=component)
    fn = args.function
    role = aws.iam.Role(
        f"{name}-role",
        name=app.names.physical(name, "sched"),
        description=f"Lets EventBridge Scheduler invoke {fn.physical_name}",
        assume_role_policy=trust_policy("aws", "scheduler.amazonaws.com", source_account=app.account_id),
        opts=child,
    )
    # The function and its qualified versions; nothing else.
    invoke = Grant("function.invoke", [fn.arn, fn.arn.apply(lambda a: f"{a}:*")])
    policy = aws.iam.RolePolicy(
        f"{name}-invoke",
        role=role.id,
        policy=policy_output("aws", [invoke]),
        opts=pulumi.ResourceOptions(parent=role),
    )
    schedule = aws.scheduler.Schedule(
        name,
        name=app.names.physical(name),
        schedule_expression=expression.aws(),
        schedule_expression_timezone=args.timezone or "UTC",
        flexible_time_window={"mode": "OFF"},
        state="ENABLED" if args.enabled else "DISABLED",
        target={
            "arn": fn.arn,
            "role_arn": role.arn,
            "input": scheduler_input(name, args.payload),
            "retry_policy": {"maximum_retry_attempts": 2, "maximum_event_age_in_seconds": 3600},
        },
        opts=pulumi.ResourceOptions(parent=component, depends_on=[policy]),
    )
    return AwsSchedule(role=role, policy=policy, schedule=schedule)
