"""The small checks every component's arguments share, each raising the same clean RunError."""

from __future__ import annotations

from components.errors import invalid


def int_in(where: str, value: object, low: int, high: int, unit: str) -> int:
    """A whole number (not a bool) within ``low..high``."""
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise invalid(where, value, f"{low}..{high} {unit}")
    return value


def boolean(where: str, value: object) -> bool:
    """``True`` or ``False`` exactly (not ``"true"``, not ``1``)."""
    if not isinstance(value, bool):
        raise invalid(where, value, "true or false")
    return value
