"""The tutorial's timer sample: log the neutral tick, identical on both clouds."""

from __future__ import annotations

import json
from typing import Any

from cloudfn import Invocation
from cloudfn.events.timer import Tick


def on_tick(tick: Tick, inv: Invocation) -> dict[str, Any]:
    body = tick.as_dict()
    inv.logger.info("tick %s", json.dumps(body, sort_keys=True))
    return body
