"""The output_postgresql sample: service on fakes, repository on PostgreSQL, entries as deployed."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from conftest import load_function_module
from deployed import Deployed, unpack_function
from fixtures.postgres import PgCluster, PgDatabase
from pulumi_harness import deploy
from runtimes import on_fc, on_lambda

from cloudfn.drivers.postgres import PgSettings, PostgresDriver
from cloudfn.errors import NotFoundError

pkg = load_function_module("output_postgresql", "output_postgresql")
from output_postgresql.model import Task  # noqa: E402
from output_postgresql.repository import PgTaskRepository  # noqa: E402
from output_postgresql.service import SampleService  # noqa: E402


class InMemoryTaskRepository:
    """The repository port's fake: a function's own ports are faked in its tests, not shipped.
    Same contract, in a dict (ordered by last modification, like the SQL adapter)."""

    def __init__(self) -> None:
        self.rows: dict[UUID, Task] = {}

    def list(self) -> list[Task]:
        return list(self.rows.values())

    def find(self, uuid: UUID) -> Task | None:
        return self.rows.get(uuid)

    def create(self, task: Task) -> None:
        if task.uuid in self.rows:
            raise ValueError(f"task {task.uuid} already exists")
        self.rows[task.uuid] = task

    def update(self, task: Task) -> None:
        if task.uuid not in self.rows:
            raise NotFoundError(f"task {task.uuid} does not exist")
        del self.rows[task.uuid]
        self.rows[task.uuid] = task

    def delete(self, uuids: Iterable[UUID]) -> int:
        return sum(self.rows.pop(u, None) is not None for u in list(uuids))


IDS = [UUID("0fd922b1-b4a4-4f57-a534-49a2e5ddc22b"), UUID("34fde84b-fe5c-41bb-af53-ec262637758c")]
BATTERY = {
    "uuid": str(IDS[0]),
    "description": "Buy new battery",
    "creationDate": "2019-04-13T11:14:00.000Z",
    "priority": 3,
}
LAPTOP = {
    "uuid": str(IDS[1]),
    "description": "Bring laptop to repair",
    "creationDate": "2019-04-13T11:15:00.000Z",
    "priority": 1,
}
BATTERIES = {**BATTERY, "description": "Buy three batteries", "priority": 2}
# The tutorial's logged results, step by step (its log in the seed text, with these uuids).
EXPECTED = {
    "existingTasks": [],
    "createdTasks": [BATTERY, LAPTOP],
    "updatedTasks": [LAPTOP, BATTERIES],
    "firstTask": BATTERIES,
    "remainingTasks": [],
}
LOG_STEPS = [
    "Load existing tasks...",
    "Existing tasks: []",
    "Create tasks...",
    "Load tasks...",
    "Tasks: ",
    "Update a task...",
    "Load tasks...",
    "Tasks: ",
    "Load first task...",
    "First task: ",
    "Delete tasks...",
    "Load tasks...",
    "Tasks: []",
]


def ids() -> Any:
    return iter(IDS).__next__


def test_service_runs_the_tutorial_flow_on_a_fake(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("test.outpg")
    with caplog.at_level(logging.INFO, logger="test.outpg"):
        result = SampleService(InMemoryTaskRepository(), logger, ids()).run()
    assert result == EXPECTED
    messages = [r.getMessage() for r in caplog.records if r.name == "test.outpg"]
    assert len(messages) == len(LOG_STEPS) and all(m.startswith(s) for m, s in zip(messages, LOG_STEPS))
    assert messages[4] == "Tasks: " + json.dumps([BATTERY, LAPTOP], separators=(",", ":"))


def pg_settings(db: PgDatabase) -> PgSettings:
    return PgSettings(db.host, db.port, db.dbname, db.user, db.password, sslmode="disable")


def test_repository_on_postgresql_matches_the_fake(pg_db: PgDatabase) -> None:
    driver = PostgresDriver(pg_settings(pg_db), pkg.MIGRATIONS)
    with driver.transaction() as conn:
        result = SampleService(PgTaskRepository(conn), logging.getLogger("t"), ids()).run()
    assert result == EXPECTED
    driver.close()


def test_tasks_of_other_invocations_are_listed_and_kept(pg_db: PgDatabase) -> None:
    driver = PostgresDriver(pg_settings(pg_db), pkg.MIGRATIONS)
    logic = pkg.make_logic(driver)
    inv = pkg.Invocation("r1", "outpg", "aws")
    with driver.transaction() as conn:
        conn.execute(
            "INSERT INTO tasks (uuid, description, creation_date, priority) "
            "VALUES ('11111111-1111-1111-1111-111111111111', 'someone else''s', now(), 5)"
        )
    result = logic(None, inv)
    assert [t["description"] for t in result["existingTasks"]] == ["someone else's"]
    assert [t["description"] for t in result["remainingTasks"]] == ["someone else's"]
    driver.close()


def test_a_failing_invocation_leaves_no_trace(pg_db: PgDatabase) -> None:
    class Failing(PgTaskRepository):
        def find(self, uuid: UUID) -> Any:
            raise RuntimeError("disk on fire")

    driver = PostgresDriver(pg_settings(pg_db), pkg.MIGRATIONS)
    with pytest.raises(RuntimeError, match="disk on fire"), driver.transaction() as conn:
        SampleService(Failing(conn), logging.getLogger("t")).run()
    with driver.transaction() as conn:
        assert conn.execute("SELECT count(*) FROM tasks").fetchone() == (0,)  # creates and update rolled back
    driver.close()


# -- invoked exactly as the platform does, with the environment the program produces ---------
def deployed(cloud: str, tmp_path: Path, runtime: str) -> Deployed:
    """The sample's function as the program deploys it for ``runtime``: its zip (psycopg's binary
    wheel built for that Python), handler, runtime and environment."""
    from samples import output_postgresql

    runtime_key = "fcRuntime" if cloud == "ali" else "lambdaRuntime"
    d = deploy(cloud, output_postgresql.build, {"dbPassword": "Sup3r-Secret_42", runtime_key: runtime})
    found = unpack_function(d, "outpg", tmp_path / "code")
    assert found.runtime == runtime
    assert found.handler == f"entry_{cloud}.handler"
    assert (found.code_dir / "migrations" / "V1__create_tasks.sql").is_file()
    assert any(found.code_dir.glob(f"psycopg_binary/_psycopg.cpython-{runtime[6:].replace('.', '')}-x86_64*.so"))
    return found


def backends(cluster: PgCluster, db: PgDatabase) -> int:
    with cluster.admin_connect() as conn:
        return conn.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s", (db.dbname,)).fetchone()[0]


def check_results(results: list[Any]) -> None:
    for result in results:
        assert result["existingTasks"] == [] and result["remainingTasks"] == []
        assert [t["description"] for t in result["createdTasks"]] == ["Buy new battery", "Bring laptop to repair"]
        assert [t["description"] for t in result["updatedTasks"]] == ["Bring laptop to repair", "Buy three batteries"]
        assert result["firstTask"]["priority"] == 2
        assert result["firstTask"]["creationDate"] == "2019-04-13T11:14:00.000Z"


@pytest.mark.network
def test_lambda_entry_as_deployed(tmp_path: Path, pg_cluster: PgCluster, pg_db: PgDatabase) -> None:
    fn = deployed("aws", tmp_path, "python3.12")
    env = dict(fn.env)
    assert env == {
        "DB_TASKS_HOST": "tasks-83970e7a.c9akciq32example.us-east-1.rds.amazonaws.com",  # the instance's address
        "DB_TASKS_PORT": "5432",
        "DB_TASKS_NAME": "outpgbase",
        "DB_TASKS_USER": "outpguser",
        "DB_TASKS_AUTH": "iam",
        "DB_TASKS_SSLMODE": "require",
        "CLOUDFN_CLOUD": "aws",
    }
    # Only the addresses and the credential change. A local server cannot check an RDS IAM
    # token, so the password the driver would sign as a token is given directly (the driver's
    # token path is tested in test_postgres_driver.py).
    del env["DB_TASKS_AUTH"]
    env.update(pg_db.env("tasks"))
    with on_lambda(fn.code_dir, fn.handler, fn.runtime, env=env, function_name=fn.function_name) as rt:
        results = [rt.invoke({}) for _ in range(3)]
        for r in results:
            assert r.ok, r
        check_results([r.payload for r in results])
        assert backends(pg_cluster, pg_db) == 1  # one connection for the warm container
        pg_cluster.terminate(pg_db)  # failover / idle timeout while the container is frozen
        again = rt.invoke({})
        assert again.ok, again
        check_results([again.payload])
        logs = rt.logs()
        assert logs.count("applied migration V1__create_tasks.sql") == 1  # cold start only
        assert "database connection was lost" in logs


@pytest.mark.network
@pytest.mark.parametrize("runtime", ["python3.10", "python3.12"])
def test_fc_entry_as_deployed(tmp_path: Path, pg_cluster: PgCluster, pg_db: PgDatabase, runtime: str) -> None:
    fn = deployed("ali", tmp_path, runtime)
    env = dict(fn.env)
    assert env["DB_TASKS_PASSWORD"] == "Sup3r-Secret_42"
    assert {k: env[k] for k in ("DB_TASKS_PORT", "DB_TASKS_NAME", "DB_TASKS_USER", "DB_TASKS_SSLMODE")} == {
        "DB_TASKS_PORT": "5432",
        "DB_TASKS_NAME": "outpgbase",
        "DB_TASKS_USER": "outpguser",
        "DB_TASKS_SSLMODE": "require",
    }
    env.update(pg_db.env("tasks"))
    with on_fc(fn.code_dir, fn.handler, fn.runtime, env=env, function_name=fn.function_name) as rt:
        results = [rt.invoke(b"{}") for _ in range(3)]
        for r in results:
            assert r.ok, r
        check_results([json.loads(r.payload_bytes) for r in results])
        assert backends(pg_cluster, pg_db) == 1
        assert rt.logs().count("applied migration V1__create_tasks.sql") == 1
