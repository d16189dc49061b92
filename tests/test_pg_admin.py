"""PgDatabase's AWS admin step (functions/pg_admin) against a real PostgreSQL set up like RDS.

RDS's master is not a superuser: it has CREATEROLE and CREATEDB, owns the database RDS created,
and ``rds_iam`` is a NOLOGIN role it may grant. The cluster here reproduces exactly that, so the
step is tested with the rights it will have, not a superuser's.
"""

from __future__ import annotations

import json
import secrets
import threading
import uuid
from pathlib import Path
from typing import Any

import pytest
from conftest import FUNCTIONS, load_function_module
from fixtures.postgres import PgCluster, PgDatabase
from pulumi_harness import deploy

from cloudfn.drivers.postgres import PgSettings, PostgresDriver
from cloudfn.errors import ConflictError, EventFormatError, NotFoundError

pg_admin = load_function_module("pg_admin", "pg_admin")


def _ident(name: str) -> Any:
    from psycopg import sql

    return sql.Identifier(name)


@pytest.fixture
def rds_like(pg_cluster: PgCluster) -> PgDatabase:
    """A database owned by an RDS-style master (CREATEROLE, CREATEDB, not superuser), and ``rds_iam``."""
    from psycopg import sql

    tag = uuid.uuid4().hex[:8]
    master, password, dbname = f"m_{tag}", secrets.token_urlsafe(12), f"rds_{tag}"
    with pg_cluster.admin_connect() as conn:
        if conn.execute("SELECT 1 FROM pg_roles WHERE rolname = 'rds_iam'").fetchone() is None:
            conn.execute("CREATE ROLE rds_iam NOLOGIN")
        conn.execute(
            sql.SQL("CREATE ROLE {} LOGIN CREATEROLE CREATEDB PASSWORD {}").format(
                _ident(master), sql.Literal(password)
            )
        )
        conn.execute(sql.SQL("CREATE DATABASE {} OWNER {}").format(_ident(dbname), _ident(master)))
    return PgDatabase(pg_cluster.host, pg_cluster.port, dbname, master, password)


def unique(prefix: str) -> str:
    """Roles are cluster-wide and the cluster lives for the whole session: one name per test."""
    return f"{prefix}_{uuid.uuid4().hex[:6]}"


def driver_for(db: PgDatabase) -> PostgresDriver:
    return PostgresDriver(PgSettings(db.host, db.port, db.dbname, db.user, db.password, sslmode="disable"))


def run_step(db: PgDatabase, user: str, **kwargs: Any) -> dict[str, Any]:
    driver = driver_for(db)
    try:
        with driver.transaction() as conn:
            return pg_admin.ensure_login_role(conn, pg_admin.LoginRole(user, db.dbname, **kwargs))
    finally:
        driver.close()


def login_as(cluster: PgCluster, db: PgDatabase, user: str) -> Any:
    """Connect as ``user``. On RDS that takes an IAM token; here a password stands in for it."""
    import psycopg
    from psycopg import sql

    password = secrets.token_urlsafe(12)
    with cluster.admin_connect() as conn:
        conn.execute(sql.SQL("ALTER ROLE {} PASSWORD {}").format(_ident(user), sql.Literal(password)))
    return psycopg.connect(
        host=db.host, port=db.port, dbname=db.dbname, user=user, password=password, sslmode="disable", autocommit=True
    )


def test_creates_an_iam_login_with_exactly_its_rights(pg_cluster: PgCluster, rds_like: PgDatabase) -> None:
    import psycopg

    user = unique("app")
    result = run_step(rds_like, user)
    assert result == {"user": user, "database": rds_like.dbname, "created": True, "loginWith": "rds_iam"}
    with pg_cluster.admin_connect() as conn:
        row = conn.execute(
            "SELECT rolcanlogin, rolsuper, rolcreaterole, rolcreatedb, rolpassword IS NULL "
            "FROM pg_authid WHERE rolname = %s",
            (user,),
        ).fetchone()
        assert row == (True, False, False, False, True)  # a login with no password: IAM tokens only
        assert conn.execute("SELECT pg_has_role(%s, 'rds_iam', 'MEMBER')", (user,)).fetchone() == (True,)
    with login_as(pg_cluster, rds_like, user) as app:
        # What its migrations and queries need: tables of its own in public.
        app.execute("CREATE TABLE tasks (id int PRIMARY KEY)")
        app.execute("INSERT INTO tasks VALUES (1)")
        app.execute("CREATE TEMP TABLE scratch (x int)")
        # And nothing beyond.
        for statement in ("CREATE DATABASE other", "CREATE ROLE intruder", "CREATE SCHEMA mine"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                app.execute(statement)
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            app.execute(f"GRANT {rds_like.user} TO {user}")


def test_the_functions_migrations_run_as_that_login(pg_cluster: PgCluster, rds_like: PgDatabase) -> None:
    from cloudfn.migrations import apply, load

    user = unique("outpg")
    run_step(rds_like, user)
    with login_as(pg_cluster, rds_like, user) as app:
        applied = apply(app, load(FUNCTIONS / "output_postgresql" / "migrations"))
        assert [m.version for m in applied] == [1]
        owner = app.execute("SELECT tableowner FROM pg_tables WHERE tablename = 'tasks'").fetchone()
    assert owner == (user,)


def test_is_idempotent_and_converges(pg_cluster: PgCluster, rds_like: PgDatabase) -> None:
    from psycopg import sql

    user = unique("app")
    assert run_step(rds_like, user)["created"] is True
    with pg_cluster.admin_connect() as conn:  # drift: someone revoked the login and a grant
        conn.execute(sql.SQL("ALTER ROLE {} NOLOGIN").format(_ident(user)))
        conn.execute(sql.SQL("REVOKE rds_iam FROM {}").format(_ident(user)))
    again = run_step(rds_like, user)
    assert again["created"] is False
    with pg_cluster.admin_connect() as conn:
        assert conn.execute(
            "SELECT rolcanlogin, pg_has_role(rolname, 'rds_iam', 'MEMBER') FROM pg_roles WHERE rolname = %s", (user,)
        ).fetchone() == (True, True)


def test_concurrent_runs_create_the_role_once(pg_cluster: PgCluster, rds_like: PgDatabase) -> None:
    racer = unique("racer")
    results: list[Any] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            results.append(run_step(rds_like, racer))
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    assert sorted(r["created"] for r in results) == [False, False, False, True]


def test_refuses_a_role_with_broad_rights(pg_cluster: PgCluster, rds_like: PgDatabase) -> None:
    from psycopg import sql

    mighty = unique("mighty")
    with pg_cluster.admin_connect() as conn:
        conn.execute(sql.SQL("CREATE ROLE {} LOGIN CREATEDB").format(_ident(mighty)))
    with pytest.raises(ConflictError, match=f"'{mighty}' already exists with CREATEDB"):
        run_step(rds_like, mighty)
    with pg_cluster.admin_connect() as conn:
        assert conn.execute("SELECT pg_has_role(%s, 'rds_iam', 'MEMBER')", (mighty,)).fetchone() == (False,)


def test_refuses_to_hand_out_the_master(rds_like: PgDatabase) -> None:
    with pytest.raises(ConflictError, match="refusing to hand the admin login"):
        run_step(rds_like, rds_like.user)


def test_a_failure_changes_nothing(pg_cluster: PgCluster, rds_like: PgDatabase) -> None:
    user = unique("half")
    with pytest.raises(NotFoundError, match="'no_such_iam_role' does not exist"):
        run_step(rds_like, user, iam_role="no_such_iam_role")
    with pg_cluster.admin_connect() as conn:
        assert conn.execute("SELECT count(*) FROM pg_roles WHERE rolname = %s", (user,)).fetchone() == (0,)


@pytest.mark.parametrize(
    "event, message",
    [
        ([], "got list"),
        ({"database": "app"}, "'user' is None"),
        ({"user": "A-B", "database": "app"}, "'user' is 'A-B'"),
        ({"user": "app_user", "database": "x;drop"}, "'database' is 'x;drop'"),
    ],
)
def test_bad_input_is_a_clear_error(event: Any, message: str) -> None:
    with pytest.raises(EventFormatError, match=message):
        pg_admin.parse(event)


def test_lifecycle_keys_of_the_invocation_are_ignored() -> None:
    assert pg_admin.parse({"user": "app_user", "database": "app", "tf": {"action": "create"}}) == pg_admin.LoginRole(
        "app_user", "app"
    )


# -- invoked as deployed: the real Lambda runtime client, the environment the program declares --
@pytest.mark.network
def test_lambda_entry_as_deployed(tmp_path: Path, pg_cluster: PgCluster, rds_like: PgDatabase, aws_env: str) -> None:
    import boto3
    from deployed import unpack_function
    from runtimes import on_lambda

    from samples import output_postgresql

    d = deploy("aws", output_postgresql.build)
    # The zip as deployed, for its runtime: psycopg's binary wheel is per Python version.
    fn = unpack_function(d, "tasks-admin", tmp_path / "code")
    assert (fn.runtime, fn.handler) == ("python3.12", "entry_aws.handler")
    invocation = d.one("aws:lambda/invocation:Invocation", "tasks-login")
    env = dict(fn.env)
    # RDS's managed secret holds the master's login in this shape.
    arn = boto3.client("secretsmanager", endpoint_url=aws_env).create_secret(
        Name="rds!db-admin", SecretString=json.dumps({"username": rds_like.user, "password": rds_like.password})
    )["ARN"]
    # Only the addresses change: the database and the secret are local stand-ins.
    env.update(
        {
            "DB_ADMIN_HOST": rds_like.host,
            "DB_ADMIN_PORT": str(rds_like.port),
            "DB_ADMIN_NAME": rds_like.dbname,
            "DB_ADMIN_SECRET_ARN": arn,
            "DB_ADMIN_SSLMODE": "disable",
            "AWS_ENDPOINT_URL_SECRETS_MANAGER": aws_env,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_SESSION_TOKEN": "testing",
        }
    )
    event = json.loads(invocation.inputs["input"])
    assert event == {"user": "outpguser", "database": "outpgbase"}
    user = unique("outpg")  # roles are cluster-wide: a fresh name stands in for outpguser
    event.update(user=user, database=rds_like.dbname)
    with on_lambda(fn.code_dir, fn.handler, fn.runtime, env=env, function_name=fn.function_name) as rt:
        first, second = rt.invoke(event), rt.invoke(event)
        assert first.ok and second.ok, (first, second)
        assert (first.payload["created"], second.payload["created"]) == (True, False)
        bad = rt.invoke({"user": "Robert'); DROP TABLE students;--", "database": rds_like.dbname})
        assert not bad.ok and bad.error["errorType"] == "EventFormatError"  # the deploy fails, clearly
        assert f"login role {user} created on database" in rt.logs()
    with pg_cluster.admin_connect() as conn:
        assert conn.execute("SELECT pg_has_role(%s, 'rds_iam', 'MEMBER')", (user,)).fetchone() == (True,)
