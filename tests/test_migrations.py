"""cloudfn.migrations against a real PostgreSQL server: ordering, locking, atomicity, checksums."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import psycopg
import pytest
from conftest import FUNCTIONS
from fixtures.postgres import PgCluster, PgDatabase

from cloudfn.migrations import HISTORY_TABLE, Migration, MigrationError, apply, load


def write(directory: Path, files: dict[str, str]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for name, sql in files.items():
        (directory / name).write_text(sql)
    return directory


def connect(db: PgDatabase) -> psycopg.Connection:
    return psycopg.connect(autocommit=True, **db.conninfo())  # type: ignore[arg-type]


def history(db: PgDatabase) -> list[tuple[int, str]]:
    with connect(db) as conn:
        return [(v, n) for v, n in conn.execute(f"SELECT version, name FROM {HISTORY_TABLE} ORDER BY version")]


def table_exists(db: PgDatabase, name: str) -> bool:
    with connect(db) as conn:
        return conn.execute("SELECT to_regclass(%s) IS NOT NULL", (name,)).fetchone()[0]


BASE = {
    "V1__create_tasks.sql": "CREATE TABLE tasks (id int PRIMARY KEY, title text NOT NULL);",
    "V2__add_done.sql": "ALTER TABLE tasks ADD COLUMN done boolean NOT NULL DEFAULT false;\n"
    "INSERT INTO tasks (id, title) VALUES (1, 'seeded by V2');",
}


# -- files ---------------------------------------------------------------------------------
def test_load_sorts_by_numeric_version(tmp_path: Path) -> None:
    write(tmp_path, {"V10__ten.sql": "SELECT 10;", "V2__two.sql": "SELECT 2;", ".gitkeep": ""})
    assert [(m.version, m.name) for m in load(tmp_path)] == [(2, "two"), (10, "ten")]


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({"V1_missing_underscore.sql": "SELECT 1;"}, "V1_missing_underscore.sql: every entry .* named like"),
        ({"create.sql": "SELECT 1;"}, "create.sql: every entry"),
        ({"V1__a.sql": "SELECT 1;", "V1__b.sql": "SELECT 1;"}, "share version 1"),
        # Each of these used to be skipped without a word, so its SQL was never applied.
        ({"V1__a.sql": "SELECT 1;", "V5__x.SQL": "SELECT 5;"}, r"V5__x\.SQL: every entry"),
        ({"V1__a.sql": "SELECT 1;", "v5__x.sql": "SELECT 5;"}, r"v5__x\.sql: every entry"),
        ({"V1__a.sql": "SELECT 1;", "V5__x.sql.bak": "SELECT 5;"}, r"V5__x\.sql\.bak: every entry"),
        ({"V1__a.sql": "SELECT 1;", "V05__x.sql": "SELECT 5;"}, r"V05__x\.sql: .*without leading zeros"),
        ({"V1__a.sql": "SELECT 1;", "README.md": "notes"}, r"README\.md: every entry"),
    ],
)
def test_load_rejects_bad_files(tmp_path: Path, files: dict[str, str], message: str) -> None:
    with pytest.raises(MigrationError, match=message):
        load(write(tmp_path, files))


def test_checksum_ignores_line_endings_only() -> None:
    assert Migration(1, "a", "SELECT 1;\r\n").checksum == Migration(1, "a", "SELECT 1;\n").checksum
    assert Migration(1, "a", "SELECT 1;").checksum != Migration(1, "a", "SELECT 2;").checksum


# -- applying ------------------------------------------------------------------------------
def test_applies_in_order_once(pg_db: PgDatabase, tmp_path: Path) -> None:
    migrations = load(write(tmp_path, BASE))
    with connect(pg_db) as conn:
        assert [m.version for m in apply(conn, migrations)] == [1, 2]
        assert apply(conn, migrations) == []  # idempotent
        assert conn.execute("SELECT id, title, done FROM tasks").fetchall() == [(1, "seeded by V2", False)]
    assert history(pg_db) == [(1, "create_tasks"), (2, "add_done")]


def test_new_migrations_are_applied_on_top(pg_db: PgDatabase, tmp_path: Path) -> None:
    with connect(pg_db) as conn:
        apply(conn, load(write(tmp_path / "v1", BASE)))
        more = {**BASE, "V3__index.sql": "CREATE INDEX tasks_title ON tasks (title);"}
        assert [m.version for m in apply(conn, load(write(tmp_path / "v2", more)))] == [3]
    assert [v for v, _ in history(pg_db)] == [1, 2, 3]


def test_failed_migration_leaves_schema_and_history_consistent(pg_db: PgDatabase, tmp_path: Path) -> None:
    broken = {
        **BASE,
        "V3__broken.sql": "CREATE TABLE audit (id int);\nINSERT INTO audit VALUES (1);\n"
        "ALTER TABLE tasks ADD COLUMN title text;",
    }  # duplicate column
    with connect(pg_db) as conn:
        with pytest.raises(MigrationError, match=r"V3__broken.sql failed and was rolled back: .*title"):
            apply(conn, load(write(tmp_path / "broken", broken)))
        # The connection is usable and the lock was released (a fresh session can take it).
        assert conn.execute("SELECT 1").fetchone() == (1,)
    assert history(pg_db) == [(1, "create_tasks"), (2, "add_done")]
    assert not table_exists(pg_db, "audit")  # V3's first statements were rolled back too
    fixed = {**BASE, "V3__broken.sql": "CREATE TABLE audit (id int);"}
    with connect(pg_db) as conn:
        assert [m.version for m in apply(conn, load(write(tmp_path / "fixed", fixed)))] == [3]
    assert table_exists(pg_db, "audit")


def test_a_migration_and_its_history_row_are_one_explicit_transaction(pg_db: PgDatabase, tmp_path: Path) -> None:
    # V3 runs to its end and then its history insert fails (the file squats on version 3). A
    # multi-statement string sent alone is one implicit transaction that PostgreSQL commits
    # before the history insert; only the explicit BEGIN ... COMMIT in apply() undoes V3 here.
    squatter = (
        "CREATE TABLE half_done (id int);\nINSERT INTO half_done VALUES (1);\n"
        f"INSERT INTO {HISTORY_TABLE} (version, name, checksum, execution_ms) VALUES (3, 'squatter', 'x', 0);"
    )
    with connect(pg_db) as conn:
        apply(conn, load(write(tmp_path / "base", BASE)))
        with pytest.raises(MigrationError, match=r"V3__squat.sql failed and was rolled back: .*cloudfn_schema_history"):
            apply(conn, load(write(tmp_path / "squat", {**BASE, "V3__squat.sql": squatter})))
    assert not table_exists(pg_db, "half_done")
    assert history(pg_db) == [(1, "create_tasks"), (2, "add_done")]


def test_a_migration_failing_midway_leaves_nothing(pg_db: PgDatabase, tmp_path: Path) -> None:
    midway = "CREATE TABLE first_half (id int);\nSELECT 1 / 0;\nCREATE TABLE second_half (id int);"
    failed = r"V1__midway\.sql failed and was rolled back: division by zero"
    with connect(pg_db) as conn, pytest.raises(MigrationError, match=failed):
        apply(conn, load(write(tmp_path, {"V1__midway.sql": midway})))
    assert not table_exists(pg_db, "first_half") and not table_exists(pg_db, "second_half")
    assert history(pg_db) == []


def test_a_migration_that_commits_by_itself_is_refused(pg_db: PgDatabase, tmp_path: Path) -> None:
    sneaky = "CREATE TABLE sneaky (id int);\nCOMMIT;\nCREATE TABLE after_commit (id int);"
    refused = r"V1__sneaky\.sql ended the migration's transaction itself"
    with connect(pg_db) as conn, pytest.raises(MigrationError, match=refused):
        apply(conn, load(write(tmp_path, {"V1__sneaky.sql": sneaky})))
    assert history(pg_db) == []  # never recorded as applied, so never mistaken for a complete run


def test_edited_applied_migration_is_refused(pg_db: PgDatabase, tmp_path: Path) -> None:
    with connect(pg_db) as conn:
        apply(conn, load(write(tmp_path / "a", BASE)))
        edited = {**BASE, "V1__create_tasks.sql": BASE["V1__create_tasks.sql"] + "\n-- tweak"}
        with pytest.raises(MigrationError, match=r"V1__create_tasks\.sql was applied with checksum .* never edit"):
            apply(conn, load(write(tmp_path / "b", edited)))


def test_database_newer_than_code_is_refused(pg_db: PgDatabase, tmp_path: Path) -> None:
    with connect(pg_db) as conn:
        apply(conn, load(write(tmp_path / "a", BASE)))
        with pytest.raises(MigrationError, match=r"has migration V2__add_done\.sql, which this code does not ship"):
            apply(conn, load(write(tmp_path / "b", {"V1__create_tasks.sql": BASE["V1__create_tasks.sql"]})))


def test_out_of_order_migration_is_refused(pg_db: PgDatabase, tmp_path: Path) -> None:
    with connect(pg_db) as conn:
        apply(conn, load(write(tmp_path / "a", {"V1__a.sql": "SELECT 1;", "V3__c.sql": "SELECT 3;"})))
        with pytest.raises(MigrationError, match=r"V2__b\.sql is older than V3"):
            apply(
                conn,
                load(
                    write(
                        tmp_path / "b", {"V1__a.sql": "SELECT 1;", "V2__b.sql": "SELECT 2;", "V3__c.sql": "SELECT 3;"}
                    )
                ),
            )


def test_requires_autocommit(pg_db: PgDatabase, tmp_path: Path) -> None:
    with psycopg.connect(**pg_db.conninfo()) as conn, pytest.raises(MigrationError, match="autocommit=True"):  # type: ignore[arg-type]
        apply(conn, load(write(tmp_path, BASE)))


# -- concurrency ---------------------------------------------------------------------------
RACER = textwrap.dedent(
    """
    import json, sys, time
    sys.path.insert(0, {functions!r})
    import psycopg
    from cloudfn.migrations import apply, load
    conninfo, directory, start_at = json.loads(sys.argv[1]), sys.argv[2], float(sys.argv[3])
    conn = psycopg.connect(autocommit=True, **conninfo)
    while time.time() < start_at:   # every racer starts at the same instant
        time.sleep(0.001)
    done = apply(conn, load(directory))
    print(json.dumps([m.version for m in done]))
    """
)


def test_concurrent_cold_starts_apply_each_migration_exactly_once(pg_db: PgDatabase, tmp_path: Path) -> None:
    # V2 is slow and counts its own executions: without the lock, several racers would run it.
    files = {
        "V1__create_runs.sql": "CREATE TABLE runs (migration int NOT NULL);",
        "V2__slow.sql": "INSERT INTO runs VALUES (2);\nSELECT pg_sleep(0.3);\nCREATE TABLE slow (id int);",
        "V3__after.sql": "INSERT INTO runs VALUES (3);\nALTER TABLE slow ADD COLUMN name text;",
    }
    directory = write(tmp_path / "m", files)
    script = tmp_path / "racer.py"
    script.write_text(RACER.format(functions=str(FUNCTIONS)))
    start_at = time.time() + 1.5  # after every interpreter has started and connected
    racers = [
        subprocess.Popen(
            [sys.executable, str(script), json.dumps(pg_db.conninfo()), str(directory), str(start_at)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    results = []
    for proc in racers:
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
        results.append(json.loads(out))
    applied = sorted(v for r in results for v in r)
    assert applied == [1, 2, 3], results  # each version applied by exactly one racer
    assert sum(1 for r in results if r) >= 1
    with connect(pg_db) as conn:
        assert conn.execute("SELECT migration, count(*) FROM runs GROUP BY 1 ORDER BY 1").fetchall() == [(2, 1), (3, 1)]
    assert [v for v, _ in history(pg_db)] == [1, 2, 3]


def test_lock_is_released_when_the_holder_dies(pg_cluster: PgCluster, pg_db: PgDatabase, tmp_path: Path) -> None:
    from cloudfn.migrations import LOCK_KEY

    holder = connect(pg_db)
    holder.execute("SELECT pg_advisory_lock(%s)", (LOCK_KEY,))
    pg_cluster.terminate(pg_db)  # the container holding the lock is killed mid-migration
    time.sleep(0.2)
    with connect(pg_db) as conn:
        assert [m.version for m in apply(conn, load(write(tmp_path, BASE)))] == [1, 2]
    holder.close()
