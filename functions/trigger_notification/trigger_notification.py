"""The tutorial's trigger_notification sample: log each neutral message, on both clouds.

The queue (SQS / MNS via EventBridge) and the topic (SNS / MNS) both invoke this logic, one
message at a time; ``cloudfn.batch`` reports failures the way each cloud expects.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from cloudfn import Invocation
from cloudfn.bootstrap import Logic
from cloudfn.events.messages import Message


def on_message(message: Message, inv: Invocation) -> None:
    inv.logger.info("message %s", json.dumps(message.as_dict(), sort_keys=True, ensure_ascii=False))


def bootstrap(env: Mapping[str, str] | None = None) -> Logic:
    """No drivers to build: the logic as is."""
    return on_message
