"""template_function: the business logic of a new function (from templates/function).

It sees neutral events and an ``Invocation``, never a cloud SDK, event shape or context. Replace
``summarize`` with your logic; ``bootstrap`` is where its drivers are built.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cloudfn import Invocation
from cloudfn.bootstrap import Logic
from cloudfn.events.objects import ObjectCreated


def summarize(records: list[ObjectCreated], inv: Invocation) -> dict[str, Any]:
    """One entry per new object (a notification may carry several: the event is a list)."""
    objects = [{"key": record.key, "size": record.size} for record in records]
    for obj in objects:
        inv.logger.info("new object %s (%d bytes)", obj["key"], obj["size"])
    return {"count": len(objects), "objects": objects}


def bootstrap(env: Mapping[str, str] | None = None) -> Logic:
    """The logic with its drivers, built from the settings the program's grants injected.

    This one needs none. With ``bucket.grant_read(fn, "uploads")`` in the program it would be::

        store = objectstore.from_env("uploads", env)   # from cloudfn.drivers import objectstore
        return lambda records, inv: summarize_with(store, records, inv)
    """
    return summarize
