"""Bounded descriptions of what arrived, for rejection messages.

A rejected event is logged once and its message travels in the platform's error record; listing
every key (or repr-ing every value) of a hostile 5 MB event would make a 1 MB log line. These
helpers keep each description to a few hundred characters, whatever came in.
"""

from __future__ import annotations

import reprlib
from collections.abc import Mapping
from typing import Any

MAX_KEYS = 20
MAX_KEY_CHARS = 40
MAX_VALUE_CHARS = 120

_repr = reprlib.Repr()
_repr.maxstring = MAX_VALUE_CHARS
_repr.maxother = MAX_VALUE_CHARS
_repr.maxlevel = 2
_repr.maxdict = _repr.maxlist = _repr.maxtuple = _repr.maxset = 6


def keys(mapping: Mapping[Any, Any]) -> str:
    """``['a', 'b', ...] (+n more)``: at most ``MAX_KEYS`` keys, each cut to ``MAX_KEY_CHARS``."""
    names = sorted(str(k) for k in mapping)
    shown = ", ".join(repr(n if len(n) <= MAX_KEY_CHARS else n[:MAX_KEY_CHARS] + "...") for n in names[:MAX_KEYS])
    more = f" (+{len(names) - MAX_KEYS} more)" if len(names) > MAX_KEYS else ""
    return f"[{shown}]{more}"


def value(obj: Any) -> str:
    """A repr of ``obj`` cut to about ``MAX_VALUE_CHARS`` characters, nested structures elided."""
    try:
        text = _repr.repr(obj)
    except Exception:  # e.g. an int over Python's 4300-digit str() limit
        return f"<a {type(obj).__name__} too large to show>"
    return text if len(text) <= MAX_VALUE_CHARS + 20 else text[:MAX_VALUE_CHARS] + "...'"


def found(obj: Any) -> str:
    """``[...keys]`` for an object, the type name for anything else."""
    return keys(obj) if isinstance(obj, Mapping) else type(obj).__name__
