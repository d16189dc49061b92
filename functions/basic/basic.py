"""The tutorial's first sample: log a greeting and the runtime's version."""

from __future__ import annotations

import platform

from cloudfn import Invocation


def hello(_event: None, inv: Invocation) -> str:
    inv.logger.info("hello world")
    inv.logger.info("python %s on %s", platform.python_version(), inv.cloud)
    return "hello world"
