"""FC 3.0 timer-trigger backend of Schedule."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pulumi
import pulumi_alicloud as alicloud

from components.cron import Cron
from components.envelopes import schedule_envelope

if TYPE_CHECKING:
    from components.app import Application
    from components.cron import Rate
    from components.schedule import Schedule, ScheduleArgs


@dataclass
class AliSchedule:
    trigger: alicloud.fc.V3Trigger


def timer_config(name: str, args: ScheduleArgs, expression: Rate | Cron) -> str:
    cron = expression.fc()
    if isinstance(expression, Cron) and args.timezone:
        cron = f"CRON_TZ={args.timezone} {cron}"
    return json.dumps(
        {"cronExpression": cron, "enable": args.enabled, "payload": schedule_envelope(name, args.payload)},
        separators=(",", ":"),
        sort_keys=True,
    )


def create(
    component: Schedule, name: str, args: ScheduleArgs, expression: Rate | Cron, app: Application
) -> AliSchedule:
    trigger = alicloud.fc.V3Trigger(
        name,
        function_name=args.function.function_name,
        trigger_name=name,
        trigger_type="timer",
        qualifier="LATEST",
        description=f"Schedule {name}",
        trigger_config=timer_config(name, args, expression),
        opts=pulumi.ResourceOptions(parent=component),
    )
    return AliSchedule(trigger=trigger)


class TimerBackend:
    """``ScheduleBackend`` on FC 3.0 timer triggers."""

    create = staticmethod(create)


BACKEND = TimerBackend()
