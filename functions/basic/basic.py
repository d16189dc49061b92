"""The tutorial's first sample: log a greeting and the runtime's version."""

from __future__ import annotations

import platform
from collections.abc import Mapping

from cloudfn import Invocation
from cloudfn.bootstrap import Logic


def hello(_event: None, inv: Invocation) -> str:
    inv.logger.info("hello world")
    inv.logger.info("python %s on %s", platform.python_version(), inv.cloud)
    return "hello world"


def bootstrap(env: Mapping[str, str] | None = None) -> Logic:
    """No drivers to build: the logic as is."""
    return hello
