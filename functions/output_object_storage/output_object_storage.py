"""The tutorial's object-storage read/write sample: read ``test.txt``, write ``generated_<ms>.txt``.

The logic sees only the neutral :class:`ObjectStore`; ``bootstrap`` builds the cloud's adapter
(``from_env("files")``), tests use ``cloudfn.testing.MemoryObjectStore`` or an adapter on a local server.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

from cloudfn import Invocation
from cloudfn.bootstrap import Logic
from cloudfn.drivers import objectstore
from cloudfn.drivers.objectstore import ObjectStore

BINDING = "files"
TEST_KEY = "test.txt"
GENERATED_CONTENT = b"Sample content."


def read_and_write(store: ObjectStore, now_ms: int, inv: Invocation) -> dict[str, Any]:
    inv.logger.info("Read the test file...")
    body = store.get(TEST_KEY).decode("utf-8", errors="replace")
    inv.logger.info("Test file read with success (body = %s)!", body)
    key = f"generated_{now_ms}.txt"
    inv.logger.info("Write a new test file...")
    info = store.put(key, GENERATED_CONTENT, content_type="text/plain")
    inv.logger.info("Test file written with success (key = %s, etag = %s)!", key, info.etag)
    return {"read": body, "written": key, "etag": info.etag}


def make_logic(store: ObjectStore, clock: Callable[[], float] = time.time) -> Logic:
    """The handler logic on ``store``."""

    def logic(_event: Any, inv: Invocation) -> dict[str, Any]:
        return read_and_write(store, int(clock() * 1000), inv)

    return logic


def bootstrap(env: Mapping[str, str] | None = None) -> Logic:
    """The logic on the cloud's store for the bucket granted as ``files``."""
    return make_logic(objectstore.from_env(BINDING, env))
