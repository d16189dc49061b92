"""In-memory fakes of the driver interfaces, for business-logic tests and benchmarks."""

from __future__ import annotations

from collections.abc import Mapping

from cloudfn.drivers.messaging import Messaging, check_message
from cloudfn.errors import DriverError


class MemoryMessaging(Messaging):
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
