"""Runs a Pulumi program under mocks and records every resource and invoke, for exact assertions.

The engine lives in the product (``localcloud/program.py``, which the local cloud also uses to
evaluate the real program); this module re-exports it so tests import it from here unchanged.
``deploy("aws", program)`` sets the stack's config, runs ``program(app)`` inside
``Application.load(samples=registered())`` exactly as ``__main__.py`` does, waits until every
resource is registered, and returns a :class:`Deployment` to query.

Area tables in ``tests/mock_outputs/`` are still merged, for tests that add their own types.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from localcloud import program as _program
from localcloud.program import (  # noqa: F401
    ACCOUNT,
    BASE_CONFIG,
    CALLS,
    OUTPUTS,
    PROJECT,
    REGION,
    Deployment,
    RecordingMocks,
    Registered,
    is_secret,
    merge_area_tables,
    resolve,
    resources_of,
)
from samples import registered

merge_area_tables("mock_outputs")


def deploy(
    cloud: str,
    program: Callable[[Any], Any],
    config: Mapping[str, Any] | None = None,
    *,
    base: bool = True,
) -> Deployment:
    """The application's program run: the ``samples`` setting selects among the registered samples."""
    return _program.deploy(cloud, program, config, base=base, samples=registered())


def __getattr__(name: str) -> Any:
    if name == "last_mocks":  # the latest run's mocks, read live from the engine module
        return _program.last_mocks
    raise AttributeError(name)
