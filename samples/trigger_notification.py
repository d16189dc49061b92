"""trigger_notification: a queue and a topic both invoke one function that logs each message.

The tutorial could not do the queue half on Alibaba Cloud (it wired an MNS topic trigger by hand
in the console); FC 3.0 consumes an MNS queue through an EventBridge trigger, so both halves are
declared here, on both clouds, with no manual step.
"""

from __future__ import annotations

from typing import Any

from components.app import Application
from components.function import FunctionArgs, ServerlessFunction
from components.queue import Queue, QueueArgs
from components.topic import Topic
from samples.registry import sample


@sample("trigger_notification", reads=("createServiceLinkedRoles",))
def build(app: Application) -> dict[str, Any]:
    fn = ServerlessFunction(
        "notification",
        FunctionArgs(code="trigger_notification", description="Logs each message from the queue and the topic"),
    )
    # Alibaba Cloud: EventBridge's service-linked roles are per account; the stack setting
    # createServiceLinkedRoles creates them (once per account, see the README).
    queue = Queue("notification-queue", QueueArgs(create_eventbridge_role=app.settings.create_service_linked_roles))
    queue.subscribe(fn, batch_size=10)
    topic = Topic("notification-topic")
    topic.subscribe(fn)
    return {
        "functions": {"notification": fn.function_name},
        "queue": queue.physical_name,
        "topic": topic.physical_name,
    }
