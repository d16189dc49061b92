"""One place for the program's clean failures."""

from __future__ import annotations

from collections.abc import Iterable

import pulumi


def invalid(setting: str, value: object, allowed: str) -> pulumi.RunError:
    """``pulumi.RunError`` naming the setting, the value given and what is allowed.

    Raised by the neutral layer before any resource is registered, so a bad value never
    leaves half a stack behind.
    """
    return pulumi.RunError(f"{setting}: got {value!r}; {allowed}")


def one_of(values: Iterable[object]) -> str:
    return "allowed: " + ", ".join(repr(v) for v in values)
