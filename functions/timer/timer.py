"""The tutorial's timer sample: log the neutral tick, identical on both clouds."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from cloudfn import Invocation
from cloudfn.bootstrap import Logic
from cloudfn.events.timer import Tick


def on_tick(tick: Tick, inv: Invocation) -> dict[str, Any]:
    body = tick.as_dict()
    inv.logger.info("tick %s", json.dumps(body, sort_keys=True))
    return body


def bootstrap(env: Mapping[str, str] | None = None) -> Logic:
    """No drivers to build: the logic as is."""
    return on_tick
