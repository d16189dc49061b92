"""The tutorial's object-storage trigger sample: log each created object, identical on both clouds."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from cloudfn import Invocation
from cloudfn.bootstrap import Logic
from cloudfn.events.objects import ObjectCreated


def on_objects_created(records: list[ObjectCreated], inv: Invocation) -> dict[str, Any]:
    objects = [record.as_dict() for record in records]
    for body in objects:
        inv.logger.info("object created %s", json.dumps(body, sort_keys=True, ensure_ascii=False))
    return {"status": "success", "objects": objects}


def bootstrap(env: Mapping[str, str] | None = None) -> Logic:
    """No drivers to build: the logic as is."""
    return on_objects_created
