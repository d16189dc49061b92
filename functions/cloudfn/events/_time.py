from __future__ import annotations

from datetime import datetime, timezone

from cloudfn.errors import EventFormatError


def parse_time(value: object, what: str) -> datetime:
    """ISO-8601 (``Z`` or offset, optional fraction) or epoch milliseconds, as aware UTC."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return datetime.fromtimestamp(value / 1000, tz=timezone.utc)
    if not isinstance(value, str) or not value:
        raise EventFormatError(f"expected {what} as an ISO-8601 time; got {value!r}")
    text = value[:-1] + "+00:00" if value.endswith(("Z", "z")) else value
    # Python 3.10's fromisoformat only takes 3- or 6-digit fractions; OSS and SNS send 3.
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError as exc:
        raise EventFormatError(f"expected {what} as an ISO-8601 time; got {value!r}") from exc
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc)
