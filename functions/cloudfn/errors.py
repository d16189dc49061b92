"""Neutral errors. Drivers re-raise vendor errors as these (``raise ... from exc``)."""

from __future__ import annotations


class CloudFnError(Exception):
    """Base class of every error this library raises on purpose."""


MAX_MESSAGE_CHARS = 2000


class EventFormatError(CloudFnError, ValueError):
    """The platform delivered an event that is not the shape the entry expects.

    The message names what was expected and what was found, so the failed invocation's log
    says exactly why; the platform then records the failure (and retries where it does).
    It is cut to ``MAX_MESSAGE_CHARS``: a hostile event must not make a megabyte log line.
    """

    def __init__(self, message: str) -> None:
        if len(message) > MAX_MESSAGE_CHARS:
            message = f"{message[:MAX_MESSAGE_CHARS]}... ({len(message) - MAX_MESSAGE_CHARS} more characters cut)"
        super().__init__(message)


class SettingError(CloudFnError, LookupError):
    """A setting the function needs (normally injected by a grant) is missing or invalid."""


class NotFoundError(CloudFnError, LookupError):
    """The object, queue, topic or row asked for does not exist."""


class PermissionDeniedError(CloudFnError, PermissionError):
    """The function's role is not allowed to do this (check the grants in the program)."""


class ConflictError(CloudFnError):
    """The request conflicts with the resource's current state."""


class TooLargeError(CloudFnError):
    """The object or payload is larger than the caller's bound; it was not (fully) read."""

    def __init__(self, message: str, *, size: int | None = None, limit: int | None = None) -> None:
        super().__init__(message)
        self.size, self.limit = size, limit


class ThrottledError(CloudFnError):
    """The service asked us to slow down; the platform's retry is the right answer."""


class DriverError(CloudFnError):
    """Any other failure of a backing service, with the vendor's code in the message."""
