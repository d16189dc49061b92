"""Harnesses that invoke a packaged function the way its platform does.

* :class:`LambdaRuntime` drives AWS's real runtime client (``awslambdaric``)
  against a local Runtime API.
* :class:`FcRuntime` emulates Alibaba Cloud Function Compute 3.0's Python
  event-function runtime from its documentation.
"""

from .fc_runtime import FcResult, FcRuntime, FcRuntimeName
from .lambda_runtime import (
    HarnessError,
    InvocationTimeoutError,
    LambdaResult,
    LambdaRuntime,
    RuntimeExitedError,
)

__all__ = [
    "FcResult",
    "FcRuntime",
    "FcRuntimeName",
    "HarnessError",
    "InvocationTimeoutError",
    "LambdaResult",
    "LambdaRuntime",
    "RuntimeExitedError",
]
