"""EventBridge Scheduler backend of Schedule."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pulumi
import pulumi_aws as aws

from components.aws.iam import service_role
from components.permissions import Grant

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
    fn = args.function
    invoker = service_role(
        name,
        role_name=app.names.physical(name, "sched"),
        service="scheduler.amazonaws.com",
        source_account=app.account_id,
        description=f"Lets EventBridge Scheduler invoke {fn.physical_name}",
        policy="invoke",
        # The function and its qualified versions; nothing else.
        grants=[Grant("function.invoke", [fn.arn, fn.arn.apply(lambda a: f"{a}:*")])],
        parent=component,
    )
    role, policy = invoker.role, invoker.policy
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


class SchedulerBackend:
    """``ScheduleBackend`` on EventBridge Scheduler."""

    create = staticmethod(create)


BACKEND = SchedulerBackend()
