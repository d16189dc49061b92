"""cloudfn.drivers.postgres against a real PostgreSQL server (and Secrets Manager on moto)."""

from __future__ import annotations

import contextlib
import logging
import time
from pathlib import Path

import pytest
from fixtures.postgres import PgCluster, PgDatabase

from cloudfn.drivers.postgres import PgSettings, PostgresDriver, read_aws_secret, settings_from_env
from cloudfn.errors import DriverError, NotFoundError, SettingError
from cloudfn.migrations import HISTORY_TABLE


def settings(db: PgDatabase, **overrides: object) -> PgSettings:
    values: dict[str, object] = {
        "host": db.host,
        "port": db.port,
        "dbname": db.dbname,
        "user": db.user,
        "password": db.password,
        "sslmode": "disable",
    }
    values.update(overrides)
    return PgSettings(**values)  # type: ignore[arg-type]


def backend_pid(driver: PostgresDriver) -> int:
    with driver.transaction() as conn:
        return conn.execute("SELECT pg_backend_pid()").fetchone()[0]


@pytest.fixture
def migrations(tmp_path: Path) -> Path:
    d = tmp_path / "migrations"
    d.mkdir()
    (d / "V1__items.sql").write_text("CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL);")
    return d


@pytest.fixture
def driver(pg_db: PgDatabase, migrations: Path):  # type: ignore[no-untyped-def]
    drv = PostgresDriver(settings(pg_db), migrations)
    yield drv
    drv.close()


def count(driver: PostgresDriver) -> int:
    with driver.transaction() as conn:
        return conn.execute("SELECT count(*) FROM items").fetchone()[0]


def test_one_connection_is_reused_across_invocations(driver: PostgresDriver) -> None:
    pids = {backend_pid(driver) for _ in range(5)}
    assert len(pids) == 1 and driver.connects == 1


def test_nothing_connects_before_the_first_transaction(pg_db: PgDatabase, migrations: Path) -> None:
    calls = []

    def source() -> PgSettings:
        calls.append(1)
        return settings(pg_db)

    drv = PostgresDriver(source, migrations)
    assert (calls, drv.connects) == ([], 0)
    backend_pid(drv)
    backend_pid(drv)
    assert (calls, drv.connects) == ([1], 1)  # settings (and the secret) read once per container
    drv.close()


def test_migrations_run_on_first_connect_only(driver: PostgresDriver, pg_cluster: PgCluster, pg_db: PgDatabase) -> None:
    with driver.transaction() as conn:
        assert conn.execute(f"SELECT version FROM {HISTORY_TABLE}").fetchall() == [(1,)]
        conn.execute(f"DELETE FROM {HISTORY_TABLE}")  # would be re-applied (and fail) if re-run
    pg_cluster.terminate(pg_db)
    time.sleep(0.1)
    assert count(driver) == 0 and driver.connects == 2


def test_commit_on_success(driver: PostgresDriver) -> None:
    with driver.transaction() as conn:
        conn.execute("INSERT INTO items VALUES (1, 'a'), (2, 'b')")
    assert count(driver) == 2


def test_rollback_on_error_and_the_connection_stays_usable(driver: PostgresDriver) -> None:
    pid = backend_pid(driver)
    with pytest.raises(RuntimeError, match="business rule"), driver.transaction() as conn:
        conn.execute("INSERT INTO items VALUES (1, 'a')")
        raise RuntimeError("business rule violated")
    assert count(driver) == 0
    assert backend_pid(driver) == pid


def test_sql_error_rolls_back_everything(driver: PostgresDriver) -> None:
    import psycopg

    with pytest.raises(psycopg.errors.UniqueViolation), driver.transaction() as conn:
        conn.execute("INSERT INTO items VALUES (1, 'a')")
        conn.execute("INSERT INTO items VALUES (1, 'duplicate')")
    assert count(driver) == 0


def test_swallowed_sql_error_is_not_silently_committed(driver: PostgresDriver) -> None:
    import psycopg

    with pytest.raises(DriverError, match="aborted by an earlier SQL error"), driver.transaction() as conn:
        conn.execute("INSERT INTO items VALUES (1, 'a')")
        with contextlib.suppress(psycopg.errors.UniqueViolation):
            conn.execute("INSERT INTO items VALUES (1, 'duplicate')")
    assert count(driver) == 0


def test_reconnects_after_the_server_kills_the_idle_connection(
    driver: PostgresDriver, pg_cluster: PgCluster, pg_db: PgDatabase, caplog: pytest.LogCaptureFixture
) -> None:
    first = backend_pid(driver)
    assert pg_cluster.terminate(pg_db) == 1
    time.sleep(0.1)
    with caplog.at_level(logging.WARNING, logger="cloudfn.postgres"), driver.transaction() as conn:
        conn.execute("INSERT INTO items VALUES (1, 'after reconnect')")  # invisible to the invocation
    assert backend_pid(driver) != first
    assert driver.connects == 2
    assert count(driver) == 1
    assert "connection was lost" in caplog.text


def test_connection_killed_mid_transaction_fails_that_invocation_only(
    driver: PostgresDriver, pg_cluster: PgCluster, pg_db: PgDatabase
) -> None:
    import psycopg

    with pytest.raises(psycopg.OperationalError), driver.transaction() as conn:
        conn.execute("INSERT INTO items VALUES (1, 'lost')")
        pg_cluster.terminate(pg_db)
        time.sleep(0.1)
        conn.execute("INSERT INTO items VALUES (2, 'lost')")
    assert count(driver) == 0  # never committed; the next invocation reconnected


def test_unreachable_server_is_a_driver_error(pg_db: PgDatabase) -> None:
    from localcloud.ports import free_port

    port = free_port()
    drv = PostgresDriver(settings(pg_db, port=port, connect_timeout_s=2))
    with pytest.raises(DriverError, match=f"cannot connect to PostgreSQL at 127.0.0.1:{port} as {pg_db.user}"):
        backend_pid(drv)


def test_wrong_password_is_a_driver_error(pg_db: PgDatabase) -> None:
    drv = PostgresDriver(settings(pg_db, password="wrong"))
    with pytest.raises(DriverError, match="password authentication failed"):
        backend_pid(drv)


# -- settings --------------------------------------------------------------------------------
def test_settings_from_the_ali_environment(pg_db: PgDatabase) -> None:
    s = settings_from_env("tasks", pg_db.env("tasks"))
    assert (s.host, s.port, s.dbname, s.user, s.password, s.sslmode) == (
        pg_db.host,
        pg_db.port,
        pg_db.dbname,
        pg_db.user,
        pg_db.password,
        "disable",
    )
    assert pg_db.password not in repr(s)
    drv = PostgresDriver(s)
    assert backend_pid(drv) > 0
    drv.close()


def test_missing_setting_names_the_variable_and_the_grant(pg_db: PgDatabase) -> None:
    env = pg_db.env("tasks")
    del env["DB_TASKS_HOST"]
    with pytest.raises(SettingError, match="DB_TASKS_HOST is not set; it is injected by the program's grant"):
        settings_from_env("tasks", env)
    with pytest.raises(SettingError, match="DB_TASKS_PORT must be a port number"):
        settings_from_env("tasks", {**pg_db.env("tasks"), "DB_TASKS_PORT": "five"})


def test_password_from_secrets_manager(aws_env: str, pg_db: PgDatabase, monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    import boto3

    monkeypatch.setenv("AWS_ENDPOINT_URL_SECRETS_MANAGER", aws_env)
    # The shape RDS writes for a managed master password.
    arn = boto3.client("secretsmanager", endpoint_url=aws_env).create_secret(
        Name="rds!db-test",
        SecretString=json.dumps({"username": pg_db.user, "password": pg_db.password}),
    )["ARN"]
    env = {k: v for k, v in pg_db.env("tasks").items() if k != "DB_TASKS_PASSWORD"}
    env["DB_TASKS_USER"] = "ignored-the-secret-names-the-user"
    env["DB_TASKS_SECRET_ARN"] = arn
    s = settings_from_env("tasks", env)
    assert (s.user, s.password) == (pg_db.user, pg_db.password)
    drv = PostgresDriver(s)
    assert backend_pid(drv) > 0
    drv.close()


def test_missing_secret_is_not_found(aws_env: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_SECRETS_MANAGER", aws_env)
    with pytest.raises(NotFoundError, match="ResourceNotFoundException"):
        read_aws_secret("arn:aws:secretsmanager:us-east-1:123456789012:secret:nope-AbCdEf")


# -- IAM authentication (AWS) ------------------------------------------------------------------
def iam_env(db: PgDatabase) -> dict[str, str]:
    """What db.connect(fn) injects on AWS: no password, no secret, AUTH=iam."""
    env = {k: v for k, v in db.env("tasks").items() if k != "DB_TASKS_PASSWORD"}
    return {**env, "DB_TASKS_AUTH": "iam", "AWS_REGION": "us-east-1"}


def test_iam_auth_signs_a_fresh_token_for_every_connection(pg_cluster: PgCluster, pg_db: PgDatabase) -> None:
    signed: list[tuple[str, int, str, str]] = []

    def token_maker(host: str, port: int, user: str, region: str) -> str:
        signed.append((host, port, user, region))
        return pg_db.password  # what RDS would accept as this user's token

    s = settings_from_env("tasks", iam_env(pg_db), token_maker=token_maker)
    assert s.password == "" and signed == []  # nothing signed before a connection is made
    drv = PostgresDriver(s)
    first = backend_pid(drv)
    assert backend_pid(drv) == first and len(signed) == 1  # reused: no new token
    pg_cluster.terminate(pg_db)
    assert backend_pid(drv) != first  # reconnected, with a new token (the old one may have expired)
    assert signed == [(pg_db.host, pg_db.port, pg_db.user, "us-east-1")] * 2
    drv.close()


def test_iam_token_is_a_presigned_rds_connect_for_that_user(monkeypatch: pytest.MonkeyPatch) -> None:
    from urllib.parse import parse_qs, urlsplit

    from cloudfn.drivers.postgres import _rds_client, iam_token

    for key, value in {
        "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE",
        "AWS_SECRET_ACCESS_KEY": "s",
        "AWS_SESSION_TOKEN": "tok",
    }.items():
        monkeypatch.setenv(key, value)
    _rds_client.cache_clear()  # signed with these credentials, not an earlier test's
    host = "tasks-1a2b3c4d.c9akciq32example.us-east-1.rds.amazonaws.com"
    token = iam_token(host, 5432, "outpguser", "us-east-1")
    assert token.startswith(f"{host}:5432/?")
    query = {k: v[0] for k, v in parse_qs(urlsplit("https://" + token).query).items()}
    assert query["Action"] == "connect" and query["DBUser"] == "outpguser"
    assert query["X-Amz-Algorithm"] == "AWS4-HMAC-SHA256"
    assert query["X-Amz-Credential"].startswith("AKIDEXAMPLE/")
    assert query["X-Amz-Credential"].endswith("/us-east-1/rds-db/aws4_request")
    assert query["X-Amz-Expires"] == "900" and query["X-Amz-Security-Token"] == "tok"
    assert len(query["X-Amz-Signature"]) == 64


@pytest.mark.parametrize(
    "change, message",
    [
        ({"AWS_REGION": ""}, "DB_TASKS_AUTH=iam needs AWS_REGION"),
        ({"DB_TASKS_AUTH": "kerberos"}, "DB_TASKS_AUTH must be 'iam' or 'password'; got 'kerberos'"),
    ],
)
def test_bad_auth_settings_are_clear_errors(pg_db: PgDatabase, change: dict[str, str], message: str) -> None:
    with pytest.raises(SettingError, match=message):
        settings_from_env("tasks", {**iam_env(pg_db), **change})
