"""``Schedule``: invoke a function on a rate or a cron expression."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pulumi

from components.app import Application
from components.cron import Cron, Rate, parse_cron, parse_rate
from components.envelopes import schedule_envelope
from components.errors import invalid
from components.function import ServerlessFunction
from components.naming import validate_name
from components.validators import boolean

TYPE = "multicloud:index:Schedule"
MAX_PAYLOAD_BYTES = 4096  # FC's timer payload limit is the tighter of the two


@dataclass
class ScheduleArgs:
    """Exactly one of ``rate`` (``"5 minutes"``) or ``cron`` (5-field Unix syntax, see
    ``components/cron.py``). ``payload`` is any JSON value handed to the function inside the
    neutral ``Tick``. ``timezone`` is an IANA name (default UTC)."""

    function: ServerlessFunction
    rate: str | None = None
    cron: str | None = None
    payload: Any = None
    enabled: bool = True
    timezone: str | None = None


def validate(name: str, args: ScheduleArgs) -> Rate | Cron:
    where = f"schedule '{name}'"
    if (args.rate is None) == (args.cron is None):
        raise invalid(f"{where} rate/cron", {"rate": args.rate, "cron": args.cron}, "set exactly one of rate or cron")
    if not isinstance(args.function, ServerlessFunction):
        raise invalid(f"{where} function", args.function, "a ServerlessFunction")
    boolean(f"{where} enabled", args.enabled)
    if args.timezone is not None:
        try:
            ZoneInfo(args.timezone)
        except (ZoneInfoNotFoundError, ValueError, TypeError):
            raise invalid(f"{where} timezone", args.timezone, "an IANA time zone such as 'Asia/Shanghai'") from None
        if args.rate is not None:
            raise invalid(f"{where} timezone", args.timezone, "only with cron (a rate has no time of day)")
    try:
        encoded = schedule_envelope(name, args.payload)
    except (TypeError, ValueError):
        raise invalid(f"{where} payload", args.payload, "a JSON-serializable value") from None
    if len(encoded.encode()) > MAX_PAYLOAD_BYTES:
        raise invalid(f"{where} payload", f"{len(encoded)} bytes", f"at most {MAX_PAYLOAD_BYTES} bytes")
    if args.rate is not None:
        return parse_rate(f"{where} rate", args.rate)
    expr = parse_cron(f"{where} cron", args.cron or "")
    expr.aws()  # raises for what AWS cannot express, on both stacks: the spec stays portable
    return expr


class ScheduleBackend(Protocol):
    """The contract of a cloud's schedule backend (``app.backend("Schedule")``)."""

    def create(
        self, component: Schedule, name: str, args: ScheduleArgs, expression: Rate | Cron, app: Application
    ) -> Any:
        """Invoke ``args.function`` on ``expression`` with the neutral envelope
        (``components.envelopes``); returns the native resources."""
        ...


class Schedule(pulumi.ComponentResource):
    """Invokes ``function`` on a schedule, with a payload, the same way on both clouds.

    AWS creates an EventBridge Scheduler schedule (not a legacy scheduled rule: Scheduler has
    time zones, a per-target role and retry policy) and a role trusting only
    ``scheduler.amazonaws.com`` from this account, allowed ``lambda:InvokeFunction`` on this
    one function only. The target input carries the neutral envelope with
    ``<aws.scheduler.scheduled-time>``.
    Alibaba Cloud creates an FC 3.0 ``timer`` trigger on the function whose payload carries
    the same envelope; FC timers need no role.
    """

    def __init__(self, name: str, args: ScheduleArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        app = Application.current()
        validate_name("Schedule", name)
        expression = validate(name, args)
        super().__init__(TYPE, name, None, opts)
        self.expression = expression
        backend: ScheduleBackend = app.backend("Schedule")
        self.native = backend.create(self, name, args, expression, app)
        app.register_outputs_at_end(self, {})
