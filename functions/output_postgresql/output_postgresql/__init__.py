"""The tutorial's output_postgresql sample in four layers.

- driver: ``cloudfn.drivers.postgres`` (connection per container, transaction per invocation,
  migrations from ``migrations/`` on cold start);
- repository: :mod:`output_postgresql.repository`;
- service: :mod:`output_postgresql.service` (the tutorial's SampleService flow);
- entry: ``entry_aws.py`` / ``entry_ali.py``, which build :func:`bootstrap` once per container.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from cloudfn import Invocation
from cloudfn.drivers.postgres import PostgresDriver, settings_from_env
from output_postgresql.repository import PgTaskRepository
from output_postgresql.service import SampleService

BINDING = "tasks"  # the PgDatabase's name in samples/output_postgresql.py
MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def make_logic(db: PostgresDriver) -> Callable[[Any, Invocation], dict[str, Any]]:
    def run(_event: Any, inv: Invocation) -> dict[str, Any]:
        with db.transaction() as conn:
            return SampleService(PgTaskRepository(conn), inv.logger).run()

    return run


def bootstrap(env: Mapping[str, str] | None = None) -> Callable[[Any, Invocation], dict[str, Any]]:
    """The logic wired to this container's driver, from the settings ``db.connect(fn)`` injected."""
    return make_logic(PostgresDriver(lambda: settings_from_env(BINDING, env), MIGRATIONS))
