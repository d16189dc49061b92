"""The neutral payloads a trigger hands to a function, as the program writes them (a leaf module).

``cloudfn.events`` reads them back on the function side.
"""

from __future__ import annotations

import json
from typing import Any


def schedule_envelope(name: str, payload: Any) -> str:
    """What a schedule carries as its payload: ``{"schedule", "payload"}`` (FC's timer payload;
    EventBridge Scheduler adds ``"time"``). ``cloudfn.events.timer`` unwraps it."""
    return json.dumps({"schedule": name, "payload": payload}, separators=(",", ":"), sort_keys=True)
