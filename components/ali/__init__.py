"""Alibaba Cloud backends of the neutral components. Imported (by name, ``Application``) only
when the stack selects Alibaba Cloud.

``BACKENDS`` maps each component kind to the object providing the contract its neutral module
declares (``BucketBackend``, ``QueueBackend``, ...).
"""

from __future__ import annotations

from typing import Any

from components.ali import bucket, database, function, queue, schedule, topic


def account_id() -> str:
    import pulumi_alicloud as alicloud

    return alicloud.get_account().id


BACKENDS: dict[str, Any] = {
    "ServerlessFunction": function.BACKEND,
    "Bucket": bucket.BACKEND,
    "Queue": queue.BACKEND,
    "Topic": topic.BACKEND,
    "Schedule": schedule.BACKEND,
    "PgDatabase": database.BACKEND,
}
