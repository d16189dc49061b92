"""Wiring shared by both entries: the drivers the program granted, built once per container."""

from __future__ import annotations

import os
from collections.abc import Sequence
from functools import cache
from typing import Any

from cloudfn import Invocation
from cloudfn.drivers import messaging, objectstore
from cloudfn.events.objects import ObjectCreated
from thumbnailer.service import ThumbnailService


@cache
def service() -> ThumbnailService:
    # Settings injected by the program: the bucket and queue bindings, and the two prefixes.
    return ThumbnailService(
        store=objectstore.from_env(os.environ.get("THUMBNAILS_BUCKET_BINDING", "images")),
        messaging=messaging.from_env(),
        results_queue=os.environ.get("THUMBNAILS_QUEUE_BINDING", "thumbnail-results"),
        input_prefix=os.environ.get("THUMBNAILS_INPUT_PREFIX", "images/"),
        output_prefix=os.environ.get("THUMBNAILS_OUTPUT_PREFIX", "thumbnails/"),
    )


def handle(events: Sequence[ObjectCreated], inv: Invocation) -> dict[str, Any]:
    return service().handle(events, inv)
