"""Thin per-cloud entries: platform (event, context) in, neutral types to the logic, result out.

Lambda calls ``handler(event: dict | list | str, context)`` with a ``LambdaContext``;
Function Compute 3.0 calls ``handler(event: bytes, context)`` with an FC context whose
fields differ (and which has no ``credentials`` on python3.12). Business logic sees neither:
it receives the parsed neutral event and an :class:`Invocation`.

A parse failure is logged and re-raised, so the platform records a failed invocation
(and retries it where the trigger retries) rather than dropping the event.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from typing import Any, TypeVar

from cloudfn.errors import EventFormatError
from cloudfn.invocation import Invocation, function_logger

E = TypeVar("E")
R = TypeVar("R")

Logic = Callable[[E, Invocation], R]


def ignore_event(event: Any) -> None:
    """For functions whose logic takes no input (the event is only a wake-up call)."""
    return None


def passthrough(result: Any) -> Any:
    return result


def fc_body(result: Any) -> str | bytes:
    """FC returns a str or bytes body as is; anything else goes back as JSON text."""
    if isinstance(result, (str, bytes)):
        return result
    return json.dumps(result, separators=(",", ":"), default=str)


def decode_json_bytes(event: bytes | bytearray | str, expected: str) -> Any:
    """FC hands events over as bytes; decode them or say what was expected."""
    try:
        text = event.decode("utf-8") if isinstance(event, (bytes, bytearray)) else event
        return json.loads(text)
    except (ValueError, TypeError, RecursionError) as exc:
        # ValueError covers bad UTF-8, bad JSON and integers over Python's 4300-digit limit;
        # RecursionError, arrays nested thousands deep.
        preview = bytes(event[:80]) if isinstance(event, (bytes, bytearray)) else event
        raise EventFormatError(f"expected {expected} as UTF-8 JSON bytes; got {preview!r}") from exc


def _run(logic: Logic, parse: Callable[[Any], Any], event: Any, inv: Invocation) -> Any:
    try:
        neutral = parse(event)
    except EventFormatError as exc:
        inv.logger.error("rejected event: %s", exc)
        raise
    return logic(neutral, inv)


def lambda_entry(
    logic: Logic,
    parse: Callable[[Any], Any] = ignore_event,
    render: Callable[[Any], Any] = passthrough,
) -> Callable[[Any, Any], Any]:
    """Build the AWS Lambda handler for ``logic``."""

    def handler(event: Any, context: Any) -> Any:
        inv = Invocation(
            request_id=context.aws_request_id,
            function_name=context.function_name,
            cloud="aws",
            region=os.environ.get("AWS_REGION", ""),
            logger=function_logger(context.function_name),
        )
        return render(_run(logic, parse, event, inv))

    return handler


def fc_entry(
    logic: Logic,
    parse: Callable[[Any], Any] = ignore_event,
    render: Callable[[Any], Any] = fc_body,
) -> Callable[[Any, Any], Any]:
    """Build the Function Compute 3.0 handler for ``logic``."""

    def handler(event: bytes, context: Any) -> Any:
        name = context.function.name
        inv = Invocation(
            request_id=context.request_id,
            function_name=name,
            cloud="ali",
            region=getattr(context, "region", "") or os.environ.get("FC_REGION", ""),
            logger=function_logger(name),
        )
        return render(_run(logic, parse, event, inv))

    return handler
