"""The tutorial's output_notification sample: send one message to a queue and one to a topic.

The logic sees only the neutral ``Messaging`` port; ``bootstrap`` builds SQS/SNS or MNS.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cloudfn import Invocation
from cloudfn.bootstrap import Logic
from cloudfn.drivers import messaging
from cloudfn.drivers.messaging import Messaging

BINDING = "outbox"  # the program grants the queue and the topic under this binding name
BODY = "Sample content"


class OutputNotification:
    def __init__(self, messaging: Messaging) -> None:
        self.messaging = messaging

    def run(self, event: Any, inv: Invocation) -> dict[str, str]:
        inv.logger.info("sending a sample message to the queue...")
        queue_id = self.messaging.send(BINDING, BODY)
        inv.logger.info("message sent to the queue (id %s)", queue_id)
        inv.logger.info("publishing a sample message to the topic...")
        topic_id = self.messaging.publish(BINDING, BODY)
        inv.logger.info("message published to the topic (id %s)", topic_id)
        return {"queue_message_id": queue_id, "topic_message_id": topic_id}


def bootstrap(env: Mapping[str, str] | None = None) -> Logic:
    """The logic on the cloud's messaging adapter (the settings ``grant_send``/``grant_publish`` injected)."""
    return OutputNotification(messaging.from_env(env)).run
