"""Re-export: the Lambda runner now lives in the product, ``localcloud.runtime.lambda_api``."""

from localcloud.runtime.lambda_api import (
    ACCOUNT_ID,
    HarnessError,
    InvocationTimeoutError,
    LambdaResult,
    LambdaRuntime,
    RuntimeExitedError,
)
from localcloud.runtime.process import OutputCapture, host_path_env, interpreter_version, stop_process

__all__ = [
    "ACCOUNT_ID",
    "HarnessError",
    "InvocationTimeoutError",
    "LambdaResult",
    "LambdaRuntime",
    "OutputCapture",
    "RuntimeExitedError",
    "host_path_env",
    "interpreter_version",
    "stop_process",
]
