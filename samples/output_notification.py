"""output_notification: a function sends one message to a queue and publishes one to a topic."""

from __future__ import annotations

from typing import Any

from components.app import Application
from components.function import FunctionArgs, ServerlessFunction
from components.queue import Queue
from components.topic import Topic
from samples.registry import sample

BINDING = "outbox"  # functions/output_notification reads QUEUE_OUTBOX_* and TOPIC_OUTBOX_*


@sample("output_notification")
def build(app: Application) -> dict[str, Any]:
    fn = ServerlessFunction(
        "outnotification",
        FunctionArgs(code="output_notification", description="Sends a sample message to a queue and a topic"),
    )
    queue = Queue("outnotification-queue")
    queue.grant_send(fn, binding=BINDING)
    topic = Topic("outnotification-topic")
    topic.grant_publish(fn, binding=BINDING)
    return {
        "functions": {"outnotification": fn.function_name},
        "queue": queue.physical_name,
        "topic": topic.physical_name,
    }
