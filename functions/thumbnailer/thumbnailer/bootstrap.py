"""The thumbnailer's wiring: its drivers, built from the settings the program injected."""

from __future__ import annotations

import os
from collections.abc import Mapping

from cloudfn.bootstrap import Logic
from cloudfn.drivers import messaging, objectstore
from thumbnailer.service import ThumbnailService


def bootstrap(env: Mapping[str, str] | None = None) -> Logic:
    """The service on the granted bucket and queue, with the prefixes the program chose."""
    env = os.environ if env is None else env
    service = ThumbnailService(
        store=objectstore.from_env(env.get("THUMBNAILS_BUCKET_BINDING", "images"), env),
        messaging=messaging.from_env(env),
        results_queue=env.get("THUMBNAILS_QUEUE_BINDING", "thumbnail-results"),
        input_prefix=env.get("THUMBNAILS_INPUT_PREFIX", "images/"),
        output_prefix=env.get("THUMBNAILS_OUTPUT_PREFIX", "thumbnails/"),
    )
    return service.handle
