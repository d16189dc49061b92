"""Runs a Pulumi program under mocks and records every resource and invoke, for exact assertions.

The engine lives in the product (``localcloud/program.py``, which the local cloud also uses to
evaluate the real program); this module re-exports it so tests import it from here unchanged.
``deploy("aws", program)`` sets the stack's config, runs ``program(app)`` inside
``Application.load()`` exactly as ``__main__.py`` does, waits until every resource is
registered, and returns a :class:`Deployment` to query.

Area tables in ``tests/mock_outputs/`` are still merged, for tests that add their own types.
"""

from __future__ import annotations

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
    deploy,
    is_secret,
    merge_area_tables,
    resolve,
    resources_of,
)

merge_area_tables("mock_outputs")
