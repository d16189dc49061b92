"""Scheduled invocations as one neutral :class:`Tick`.

What each cloud delivers (the program sets both envelopes, see ``components/schedule.py``):

- AWS EventBridge Scheduler passes the target ``input`` verbatim. The program sets it to
  ``{"schedule": NAME, "time": "<aws.scheduler.scheduled-time>", "payload": PAYLOAD}``;
  Scheduler substitutes the scheduled time. Legacy EventBridge *rules* deliver a
  ``"detail-type": "Scheduled Event"`` envelope, accepted too (payload ``None``).
- FC 3.0 timer triggers deliver ``{"triggerTime", "triggerName", "payload"}`` where payload is
  the configured string; the program sets it to ``{"schedule": NAME, "payload": PAYLOAD}`` as
  JSON. A plain string payload (as in the tutorial) is passed through as is.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cloudfn.entry import decode_json_bytes
from cloudfn.errors import EventFormatError
from cloudfn.events import _describe
from cloudfn.events._time import parse_time

_AWS_EXPECTED = "an EventBridge Scheduler input {schedule, time, payload} or a 'Scheduled Event' rule event"
_ALI_EXPECTED = "an FC timer event {triggerTime, triggerName, payload}"


@dataclass(frozen=True)
class Tick:
    time: datetime
    schedule: str
    payload: Any

    def as_dict(self) -> dict[str, Any]:
        return {"time": self.time.isoformat(), "schedule": self.schedule, "payload": self.payload}


def from_aws(event: Any) -> Tick:
    if not isinstance(event, dict):
        raise EventFormatError(f"expected {_AWS_EXPECTED}; got {type(event).__name__}")
    if event.get("detail-type") == "Scheduled Event":
        resources = event.get("resources") or [""]
        if not isinstance(resources, list) or not isinstance(resources[0], str):
            raise EventFormatError(f"expected 'resources' as a list of rule ARNs; got {_describe.value(resources)}")
        rule = resources[0].rsplit("/", 1)[-1]
        return Tick(parse_time(event.get("time"), "'time'"), rule, None)
    if "schedule" in event and "time" in event:
        schedule = event["schedule"]
        if not isinstance(schedule, str) or not schedule:
            raise EventFormatError(f"expected 'schedule' as a non-empty string; got {_describe.value(schedule)}")
        return Tick(parse_time(event["time"], "'time'"), schedule, event.get("payload"))
    raise EventFormatError(f"expected {_AWS_EXPECTED}; got keys {_describe.keys(event)}")


def from_ali(event: bytes) -> Tick:
    body = decode_json_bytes(event, _ALI_EXPECTED)
    if not isinstance(body, dict) or "triggerTime" not in body:
        raise EventFormatError(f"expected {_ALI_EXPECTED}; got {_describe.found(body)}")
    when = parse_time(body["triggerTime"], "'triggerTime'")
    name = str(body.get("triggerName") or "")
    raw = body.get("payload")
    if isinstance(raw, str):
        try:
            envelope = json.loads(raw)
        except json.JSONDecodeError:
            envelope = None
        if isinstance(envelope, dict) and set(envelope) == {"schedule", "payload"}:
            return Tick(when, str(envelope["schedule"]), envelope["payload"])
    return Tick(when, name, raw)
