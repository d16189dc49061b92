"""One way to wire a function: ``bootstrap`` builds its drivers, ``warm`` keeps them.

Every function's logic module (or package) defines::

    def bootstrap(env: Mapping[str, str] | None = None) -> Logic:
        # the drivers, built from the settings the program's grants injected (env, or os.environ)
        store = objectstore.from_env("uploads", env)
        return lambda events, inv: summarize(store, events, inv)

and each entry is the same few lines, only the cloud's entry and parser differ::

    handler = lambda_entry(warm(bootstrap), parse=objects.from_aws)   # entry_aws.py
    handler = fc_entry(warm(bootstrap), parse=objects.from_ali)       # entry_ali.py

Tests call ``bootstrap(env)`` with the settings they choose (or build the logic on the fakes of
:mod:`cloudfn.testing`); the platforms get ``warm(bootstrap)``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from cloudfn.invocation import Invocation

Logic = Callable[[Any, Invocation], Any]


def warm(bootstrap: Callable[[], Logic]) -> Logic:
    """The logic ``bootstrap()`` returns, built on the first invocation and reused while the
    instance is warm.

    Built on the first invocation, not at import: settings are read inside the platform's
    invocation (a missing one fails that invocation with a message naming it, and the next
    invocation tries again), and an entry module imports anywhere (tests, tooling) without them.
    A lock keeps concurrent first requests (FC instance concurrency) from building twice.
    """
    lock = threading.Lock()
    built: list[Logic] = []

    def logic(event: Any, inv: Invocation) -> Any:
        if not built:
            with lock:
                if not built:
                    built.append(bootstrap())
        return built[0](event, inv)

    logic.__wrapped__ = bootstrap  # type: ignore[attr-defined]
    return logic
