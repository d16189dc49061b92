"""Versioned SQL migrations, applied from inside the VPC by the function itself.

Files ship with the function code: ``migrations/V<version>__<name>.sql`` (Flyway's naming),
applied in version order, each exactly once per database. The folder holds migrations only:
any other name (``V5__x.SQL``, ``v5__x.sql``, ``V5_x.sql``, ``V05__x.sql``, ``notes.txt``, a
sub-folder) is refused when the migrations load, because a file that is silently never applied
is worse than a cold start that fails with its name. The version is a decimal without leading
zeros, so each file name maps to exactly one version and back. Hidden files (``.gitkeep``)
are ignored.

- **Concurrency**: all writers serialise on one PostgreSQL session advisory lock, and re-read
  the history table *under* the lock, so any number of concurrent cold starts apply each
  migration once; the others wait, then find nothing to do. The server releases the lock
  if the holder's connection dies, so a killed container cannot wedge the others.
- **Atomicity**: each migration and its history row run in one explicit transaction
  (``BEGIN`` ... ``COMMIT`` issued here, not PostgreSQL's implicit one for a multi-statement
  string, which would end before the history insert). PostgreSQL's DDL is transactional, so a
  migration failing midway or at its history row leaves neither a half-built schema nor a
  history row; it is retried on the next cold start. A migration that ends the transaction
  itself (``COMMIT``/``ROLLBACK`` in the file) is refused, and so are statements that cannot
  run in a transaction (``CREATE INDEX CONCURRENTLY``).
- **Integrity**: the SHA-256 of each applied file is recorded and verified on every cold start.
  An edited applied migration, a migration the database has but the code lacks, or a new
  migration older than one already applied is an error, never silently skipped.
- **Cheap when up to date**: the common cold start reads the history once, without the lock.
"""

from __future__ import annotations

import hashlib
import logging
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cloudfn.errors import CloudFnError

HISTORY_TABLE = "cloudfn_schema_history"
# One fixed 64-bit key for every function sharing the database (pg_advisory_lock(bigint)).
LOCK_KEY = int.from_bytes(hashlib.sha256(b"cloudfn.migrations").digest()[:8], "big", signed=True)
FILE_NAME = re.compile(r"^V(?P<version>[1-9][0-9]*)__(?P<name>[A-Za-z0-9_]+)\.sql$")

_CREATE_HISTORY = f"""
CREATE TABLE IF NOT EXISTS {HISTORY_TABLE} (
    version      bigint      PRIMARY KEY,
    name         text        NOT NULL,
    checksum     text        NOT NULL,
    applied_at   timestamptz NOT NULL DEFAULT now(),
    execution_ms integer     NOT NULL
)"""

log = logging.getLogger("cloudfn.migrations")


class MigrationError(CloudFnError):
    """A migration file is invalid, failed (and was rolled back), or disagrees with the history."""


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str

    @property
    def filename(self) -> str:
        return f"V{self.version}__{self.name}.sql"

    @property
    def checksum(self) -> str:
        # Line endings normalised, so a checkout on Windows does not look like an edit.
        return hashlib.sha256(self.sql.replace("\r\n", "\n").encode("utf-8")).hexdigest()


def load(directory: str | Path) -> tuple[Migration, ...]:
    """Every ``V<n>__<name>.sql`` in ``directory``, sorted by version."""
    root = Path(directory)
    if not root.is_dir():
        raise MigrationError(f"migrations directory {root} does not exist")
    found: dict[int, Migration] = {}
    for path in sorted(root.iterdir()):
        if path.name.startswith("."):
            continue  # .gitkeep, editor and OS files
        match = FILE_NAME.match(path.name) if path.is_file() else None
        if not match:
            raise MigrationError(
                f"{root.name}/{path.name}: every entry of the migrations folder must be a file named like "
                "V1__create_tasks.sql (capital V, a version number without leading zeros, two underscores, "
                "letters/digits/_, lower-case .sql); rename it or move it out, or it would never be applied"
            )
        version = int(match["version"])
        if version in found:
            raise MigrationError(f"{path.name} and {found[version].filename} share version {version}")
        found[version] = Migration(version, match["name"], path.read_text(encoding="utf-8"))
    return tuple(found[v] for v in sorted(found))


def _history(conn: Any) -> dict[int, tuple[str, str]]:
    rows = conn.execute(f"SELECT version, name, checksum FROM {HISTORY_TABLE} ORDER BY version").fetchall()
    return {int(v): (n, c) for v, n, c in rows}


def _pending(applied: dict[int, tuple[str, str]], migrations: Sequence[Migration]) -> list[Migration]:
    """The migrations still to apply, after checking the history against the files."""
    by_version = {m.version: m for m in migrations}
    for version, (name, checksum) in applied.items():
        mig = by_version.get(version)
        if mig is None:
            raise MigrationError(
                f"the database has migration V{version}__{name}.sql, which this code does not ship: "
                "the schema is newer than the code (deploy the newer code, or restore the file)"
            )
        if mig.checksum != checksum:
            raise MigrationError(
                f"{mig.filename} was applied with checksum {checksum[:12]}... but the file now has "
                f"{mig.checksum[:12]}...: never edit an applied migration, add a new one"
            )
    pending = [m for m in migrations if m.version not in applied]
    if pending and applied and pending[0].version < max(applied):
        raise MigrationError(
            f"{pending[0].filename} is older than V{max(applied)}, which is already applied: "
            "give new migrations a higher version"
        )
    return pending


def _history_exists(conn: Any) -> bool:
    return conn.execute("SELECT to_regclass(%s) IS NOT NULL", (HISTORY_TABLE,)).fetchone()[0]


def apply(conn: Any, migrations: Sequence[Migration], *, logger: logging.Logger | None = None) -> list[Migration]:
    """Apply what is pending on ``conn`` (a psycopg connection in autocommit mode).

    Returns the migrations this call applied (empty when another process got there first).
    """
    from psycopg.pq import TransactionStatus  # psycopg only where a database is used

    logger = logger or log
    if not conn.autocommit:
        raise MigrationError("apply() manages its own transactions: pass a connection with autocommit=True")
    if not migrations:
        return []
    if _history_exists(conn) and not _pending(_history(conn), migrations):
        return []  # up to date: no lock, one read

    started = time.monotonic()
    conn.execute("SELECT pg_advisory_lock(%s)", (LOCK_KEY,))
    waited = time.monotonic() - started
    done: list[Migration] = []
    try:
        conn.execute(_CREATE_HISTORY)
        # Re-read under the lock: another container may have applied them while we waited.
        for mig in _pending(_history(conn), migrations):
            t0 = time.monotonic()
            try:
                with conn.transaction():  # BEGIN here, COMMIT after the history row (or ROLLBACK)
                    conn.execute(mig.sql)
                    if conn.info.transaction_status != TransactionStatus.INTRANS:
                        # The file ended our transaction (COMMIT/ROLLBACK): what ran before is
                        # beyond our rollback, so stop loudly rather than record a half truth.
                        raise MigrationError(
                            f"{mig.filename} ended the migration's transaction itself (COMMIT or ROLLBACK "
                            "in the file); migrations must not manage transactions"
                        )
                    conn.execute(
                        f"INSERT INTO {HISTORY_TABLE} (version, name, checksum, execution_ms) VALUES (%s, %s, %s, %s)",
                        (mig.version, mig.name, mig.checksum, int((time.monotonic() - t0) * 1000)),
                    )
            except Exception as exc:
                if isinstance(exc, MigrationError):
                    raise
                raise MigrationError(f"{mig.filename} failed and was rolled back: {exc}") from exc
            logger.info("applied migration %s in %.0f ms", mig.filename, (time.monotonic() - t0) * 1000)
            done.append(mig)
        if not done:
            logger.info("migrations already applied by another instance (waited %.0f ms for the lock)", waited * 1000)
    finally:
        if not (conn.closed or conn.broken):
            conn.execute("SELECT pg_advisory_unlock(%s)", (LOCK_KEY,))
    return done
