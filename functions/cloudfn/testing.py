"""In-memory fakes of the driver interfaces, for business-logic tests: this library's and yours.

    from cloudfn.testing import MemoryMessaging, MemoryObjectStore, invocation

Each fake keeps the contract of the real adapters (the same neutral errors, the same checks on
what is sent), so a logic test against it means what it says. This module is installed with the
library for your tests but **never shipped in a function's zip** (``components.packaging``
leaves it out, and no shipped module may import it).
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Iterator, Mapping
from datetime import datetime, timezone

from cloudfn.drivers.messaging import Messaging, check_message
from cloudfn.drivers.objectstore import Body, ObjectInfo, ObjectStore, as_bytes, check_size
from cloudfn.errors import DriverError, NotFoundError
from cloudfn.invocation import Cloud, Invocation

__all__ = ["MemoryMessaging", "MemoryObjectStore", "invocation"]


def invocation(cloud: Cloud = "aws", function_name: str = "test-fn", request_id: str = "req-1") -> Invocation:
    """An :class:`Invocation` as an entry would build it, with a logger tests can capture."""
    return Invocation(
        request_id=request_id,
        function_name=function_name,
        cloud=cloud,
        region="test-region",
        logger=logging.getLogger(f"fn.{function_name}"),
    )


class MemoryObjectStore(ObjectStore):
    """An in-memory store for business-logic tests (same semantics as the adapters)."""

    def __init__(self, bucket: str = "memory", objects: Mapping[str, Body] | None = None) -> None:
        self.bucket = bucket
        self._lock = threading.Lock()
        self._objects: dict[str, tuple[bytes, str, datetime]] = {}
        for key, data in (objects or {}).items():
            self.put(key, data)

    def get(self, key: str, *, max_bytes: int | None = None) -> bytes:
        try:
            body = self._objects[key][0]
        except KeyError:
            raise NotFoundError(f"no object {key!r} in bucket {self.bucket!r}") from None
        check_size(len(body), max_bytes, f"get memory://{self.bucket}/{key}")
        return body

    def put_if_absent(self, key: str, data: Body, *, content_type: str | None = None) -> bool:
        with self._lock:
            if key in self._objects:
                return False
            self.put(key, data, content_type=content_type)
            return True

    def put(self, key: str, data: Body, *, content_type: str | None = None) -> ObjectInfo:
        body = as_bytes(data)
        self._objects[key] = (body, content_type or "application/octet-stream", datetime.now(timezone.utc))
        return self._info(key)

    def head(self, key: str) -> ObjectInfo:
        if key not in self._objects:
            raise NotFoundError(f"no object {key!r} in bucket {self.bucket!r}")
        return self._info(key)

    def delete(self, key: str) -> None:
        self._objects.pop(key, None)

    def list(self, prefix: str = "", *, limit: int | None = None) -> Iterator[ObjectInfo]:
        keys = sorted(k for k in self._objects if k.startswith(prefix))
        for key in keys[:limit]:
            yield self._info(key)

    def _info(self, key: str) -> ObjectInfo:
        body, ctype, when = self._objects[key]
        return ObjectInfo(key, len(body), hashlib.md5(body).hexdigest(), when, ctype)


class MemoryMessaging(Messaging):
    """Records what was sent and published; ``fail=True`` makes every call raise ``DriverError``."""

    def __init__(self, *, fail: bool = False) -> None:
        self.sent: list[tuple[str, str, dict[str, str]]] = []
        self.published: list[tuple[str, str, dict[str, str]]] = []
        self.fail = fail

    def send(self, queue: str, body: str, *, attributes: Mapping[str, str] | None = None, delay_s: int = 0) -> str:
        check_message(body, attributes, delay_s)
        if self.fail:
            raise DriverError(f"queue {queue!r} is unavailable")
        self.sent.append((queue, body, dict(attributes or {})))
        return f"m-{len(self.sent)}"

    def publish(self, topic: str, body: str, *, attributes: Mapping[str, str] | None = None) -> str:
        check_message(body, attributes)
        if self.fail:
            raise DriverError(f"topic {topic!r} is unavailable")
        self.published.append((topic, body, dict(attributes or {})))
        return f"p-{len(self.published)}"
