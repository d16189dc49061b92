"""The neutral invocation handed to business logic instead of a platform context."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from typing import Literal

Cloud = Literal["aws", "ali"]
CLOUDS: tuple[Cloud, ...] = ("aws", "ali")


def function_logger(function_name: str) -> logging.Logger:
    """A logger that reaches each platform's log pipeline.

    Both runtimes install a handler on the root logger (awslambdaric's adds the request id on
    Lambda; FC's adds it on Function Compute), so ours only sets a level and propagates.
    The root level defaults to WARNING on both, which would swallow INFO lines.
    """
    logger = logging.getLogger(f"fn.{function_name}")
    logger.setLevel(os.environ.get("LOG_LEVEL", "INFO").upper())
    return logger


@dataclass(frozen=True)
class Invocation:
    """What business logic may know about the call: who, where, and a logger."""

    request_id: str
    function_name: str
    cloud: Cloud
    region: str = ""
    logger: logging.Logger = field(default_factory=lambda: logging.getLogger("fn"))
