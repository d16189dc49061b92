from __future__ import annotations

from datetime import datetime, timezone

from cloudfn.errors import EventFormatError
from cloudfn.events import _describe


def parse_time(value: object, what: str) -> datetime:
    """ISO-8601 (``Z`` or offset, optional fraction) or epoch milliseconds, as aware UTC."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            return datetime.fromtimestamp(value / 1000, tz=timezone.utc)
        except (OverflowError, ValueError, OSError) as exc:  # out of range, NaN, infinity
            raise EventFormatError(
                f"expected {what} as epoch milliseconds in range; got {_describe.value(value)}"
            ) from exc
    if not isinstance(value, str) or not value:
        raise EventFormatError(f"expected {what} as an ISO-8601 time; got {_describe.value(value)}")
    text = value[:-1] + "+00:00" if value.endswith(("Z", "z")) else value
    # Python 3.10's fromisoformat only takes 3- or 6-digit fractions; OSS and SNS send 3.
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError as exc:
        raise EventFormatError(f"expected {what} as an ISO-8601 time; got {_describe.value(value)}") from exc
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc)
