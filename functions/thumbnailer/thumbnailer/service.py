"""The thumbnail service: read each new image, write its thumbnail, report the batch once."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from cloudfn import Invocation
from cloudfn.drivers.messaging import Messaging
from cloudfn.drivers.objectstore import ObjectStore
from cloudfn.errors import NotFoundError, TooLargeError
from cloudfn.events.objects import ObjectCreated
from thumbnailer.images import MAX_BYTES, ImageProblem, make_thumbnail


@dataclass
class ThumbnailService:
    store: ObjectStore
    messaging: Messaging
    results_queue: str
    input_prefix: str = "images/"
    output_prefix: str = "thumbnails/"
    size: tuple[int, int] = (200, 200)
    _report: dict[str, Any] = field(default_factory=dict, init=False)

    def handle(self, events: Sequence[ObjectCreated], inv: Invocation) -> dict[str, Any]:
        saved: list[dict[str, Any]] = []
        problems: list[dict[str, str]] = []
        for event in events:
            try:
                saved.append(self._thumbnail(event))
                inv.logger.info("thumbnail %s -> %s", event.key, saved[-1]["thumbnail"])
            except (ImageProblem, NotFoundError, TooLargeError) as exc:
                # One bad file must not fail the batch (and make the platform retry the good ones).
                # Storage failures other than these (a failed put, a dropped connection) raise,
                # so the platform retries the invocation.
                problems.append({"source": event.key, "reason": str(exc)})
                inv.logger.warning("skipped %s: %s", event.key, exc)
        report = {
            "request_id": inv.request_id,
            "bucket": events[0].bucket if events else "",
            "thumbnails": saved,
            "problems": problems,
        }
        # A failed send raises: the platform retries the invocation, and re-writing the same
        # thumbnails is harmless, whereas a lost report is not.
        message_id = self.messaging.send(self.results_queue, json.dumps(report, sort_keys=True))
        inv.logger.info("result message %s: %d saved, %d problems", message_id, len(saved), len(problems))
        return {**report, "message_id": message_id}

    def _thumbnail(self, event: ObjectCreated) -> dict[str, Any]:
        key = event.key
        if not key.startswith(self.input_prefix):
            raise ImageProblem(f"key is not under the input prefix {self.input_prefix!r}; not processed")
        if key.startswith(self.output_prefix):
            raise ImageProblem(f"key is under the output prefix {self.output_prefix!r}: a thumbnail, not processed")
        name = key[len(self.input_prefix) :]
        if not name or name.endswith("/"):
            raise ImageProblem("key is a folder marker, not a file")
        if event.size is not None and event.size > MAX_BYTES:
            # Refused from the event alone: a 200 MB upload is never loaded into memory.
            raise ImageProblem(f"file is {event.size} bytes; at most {MAX_BYTES} are processed")
        # The event's size may be absent or stale (the key overwritten since): bound the read too.
        thumb = make_thumbnail(self.store.get(key, max_bytes=MAX_BYTES), self.size)
        target = self.output_prefix + name
        self.store.put(target, thumb.data, content_type=thumb.content_type)
        return {
            "source": key,
            "thumbnail": target,
            "format": thumb.format,
            "width": thumb.width,
            "height": thumb.height,
        }
