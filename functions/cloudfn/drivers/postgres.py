"""PostgreSQL for functions: one connection per warm container, one transaction per invocation.

``PostgresDriver.from_env(binding, migrations_dir)`` reads the settings ``db.connect(fn)``
injected (``DB_<BINDING>_HOST``, ``_PORT``, ``_NAME``, ``_USER``, ``_SSLMODE``) and the
credential, one of:

- ``_AUTH=iam`` (AWS): an RDS IAM authentication token, signed locally with the function's
  role credentials for this user (no network call), made anew for every connection because
  it is valid for 15 minutes;
- ``_SECRET_ARN`` (AWS, the database's admin function): the login in Secrets Manager;
- ``_PASSWORD`` (Alibaba Cloud): the account password, a Pulumi secret in the environment.

Nothing happens at import time:

- the first ``transaction()`` of a container resolves the settings, connects, and applies
  pending migrations (``cloudfn.migrations``, under an advisory lock);
- later invocations reuse that connection (no TCP/TLS/SCRAM handshake per call);
- a connection the server or the network dropped while the container was frozen is noticed
  at ``BEGIN``, which has no effect, so it is replaced and ``BEGIN`` retried once, invisibly;
- the block runs in one transaction: committed on return, rolled back on any exception.
  A connection lost *during* the block is not retried (the outcome of a half-run invocation
  is for the platform's retry to decide), but the next invocation reconnects.
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cloudfn import settings as cf_settings
from cloudfn.errors import DriverError, NotFoundError, PermissionDeniedError, SettingError, ThrottledError
from cloudfn.migrations import Migration, apply, load

log = logging.getLogger("cloudfn.postgres")

SecretReader = Callable[[str], Mapping[str, Any]]


@dataclass(frozen=True)
class PgSettings:
    host: str
    port: int
    dbname: str
    user: str
    password: str = field(repr=False)
    sslmode: str = "prefer"
    connect_timeout_s: int = 5
    application_name: str = ""
    # Short-lived credentials (RDS IAM tokens) are made per connection, not stored.
    password_provider: Callable[[], str] | None = field(default=None, repr=False, compare=False)

    def connect_kwargs(self) -> dict[str, Any]:
        return {
            "host": self.host,
            "port": self.port,
            "dbname": self.dbname,
            "user": self.user,
            "password": self.password_provider() if self.password_provider else self.password,
            "sslmode": self.sslmode,
            "connect_timeout": self.connect_timeout_s,
            "application_name": self.application_name
            or os.environ.get("AWS_LAMBDA_FUNCTION_NAME")
            or os.environ.get("FC_FUNCTION_NAME", "cloudfn"),
            # A frozen container's idle connection may be cut by NAT/ENI timeouts: probe it.
            "keepalives": 1,
            "keepalives_idle": 30,
            "keepalives_interval": 10,
            "keepalives_count": 3,
        }


def read_aws_secret(arn: str) -> Mapping[str, Any]:
    """The JSON of a Secrets Manager secret (``{"username", "password"}``), via the VPC endpoint.

    boto3 ships with the Lambda Python runtime; ``AWS_ENDPOINT_URL_SECRETS_MANAGER`` points it at a
    local server in tests.
    """
    import boto3  # only on AWS
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        client = boto3.client("secretsmanager")  # NoRegionError is a BotoCoreError too
        value = client.get_secret_value(SecretId=arn)["SecretString"]
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        message = f"reading secret {arn}: {code}: {exc}"
        if code == "ResourceNotFoundException":
            raise NotFoundError(message) from exc
        if code in ("AccessDeniedException", "AccessDenied"):
            raise PermissionDeniedError(message + " (db.connect(fn) grants secret.read on this secret)") from exc
        if code == "ThrottlingException":
            raise ThrottledError(message) from exc
        raise DriverError(message) from exc
    except BotoCoreError as exc:
        raise DriverError(f"reading secret {arn}: {exc}") from exc
    try:
        body = json.loads(value)
    except json.JSONDecodeError as exc:
        raise DriverError(f"secret {arn} is not JSON with 'username' and 'password'") from exc
    if not isinstance(body, dict) or "password" not in body:
        raise DriverError(f"secret {arn} has no 'password' field")
    return body


@functools.lru_cache(maxsize=4)
def _rds_client(region: str) -> Any:
    import boto3  # only on AWS; ships with the Lambda Python runtime

    # Its own session: the credentials are the environment's when the client is made.
    return boto3.session.Session().client("rds", region_name=region)


def iam_token(host: str, port: int, user: str, region: str) -> str:
    """An RDS IAM authentication token: a SigV4-presigned ``connect`` for ``user``, valid 15 minutes.

    Signed locally with the function's role credentials; the role needs ``rds-db:connect`` on
    ``arn:aws:rds-db:<region>:<account>:dbuser:<DbiResourceId>/<user>`` (``db.connect(fn)``).
    """
    from botocore.exceptions import BotoCoreError

    try:
        return str(_rds_client(region).generate_db_auth_token(host, port, user, Region=region))
    except BotoCoreError as exc:
        raise DriverError(f"cannot sign an RDS IAM token for {user}@{host}: {exc}") from exc


def settings_from_env(
    binding: str,
    env: Mapping[str, str] | None = None,
    secret_reader: SecretReader | None = None,
    token_maker: Callable[[str, int, str, str], str] | None = None,
) -> PgSettings:
    """The connection settings ``db.connect(fn)`` injected for ``binding``."""
    env = os.environ if env is None else env

    def get(name: str) -> str:
        return cf_settings.binding("db", binding, name, env)

    port_text = get("port")
    try:
        port = int(port_text)
    except ValueError:
        name = cf_settings.setting_name("db", binding, "port")
        raise SettingError(f"{name} must be a port number; got {port_text!r}") from None
    host, user = get("host"), get("user")
    auth_name = cf_settings.setting_name("db", binding, "auth")
    auth = env.get(auth_name, "") or "password"
    secret_arn = env.get(cf_settings.setting_name("db", binding, "secret_arn"), "")
    provider: Callable[[], str] | None = None
    password = ""
    if auth == "iam":
        region = env.get("AWS_REGION", "")
        if not region:
            raise SettingError(f"{auth_name}=iam needs AWS_REGION (set by Lambda itself)")
        maker = token_maker or iam_token

        def provider() -> str:
            return maker(host, port, user, region)

    elif auth != "password":
        raise SettingError(f"{auth_name} must be 'iam' or 'password'; got {auth!r}")
    elif secret_arn:
        secret = (secret_reader or read_aws_secret)(secret_arn)
        password = str(secret["password"])
        user = str(secret.get("username") or user)
    else:
        password = get("password")
    return PgSettings(
        host=host,
        port=port,
        dbname=get("name"),
        user=user,
        password=password,
        sslmode=env.get(cf_settings.setting_name("db", binding, "sslmode"), "") or "prefer",
        password_provider=provider,
    )


class PostgresDriver:
    """Owns this container's connection. Create one per process (module level) and reuse it."""

    def __init__(
        self,
        settings: PgSettings | Callable[[], PgSettings],
        migrations: Sequence[Migration] | str | Path | None = None,
        *,
        logger: logging.Logger | None = None,
    ) -> None:
        self._settings_source = settings
        self._settings: PgSettings | None = settings if isinstance(settings, PgSettings) else None
        self._migration_source = migrations
        self._migrated = migrations is None
        self._conn: Any = None
        if logger is None:
            # The runtimes' root logger is at WARNING; migrations and reconnects are worth an INFO line.
            log.setLevel(os.environ.get("LOG_LEVEL", "INFO").upper())
        self.log = logger or log
        self.connects = 0  # how many connections this container opened (observability, tests)

    @classmethod
    def from_env(cls, binding: str, migrations: str | Path | None = None) -> PostgresDriver:
        return cls(lambda: settings_from_env(binding), migrations)

    # -- connection ----------------------------------------------------------------------
    def _resolve_settings(self) -> PgSettings:
        if self._settings is None:
            source = self._settings_source
            assert callable(source)
            self._settings = source()
        return self._settings

    def _connect(self) -> Any:
        import psycopg

        settings = self._resolve_settings()
        try:
            conn = psycopg.connect(autocommit=True, **settings.connect_kwargs())
        except psycopg.Error as exc:
            raise DriverError(
                f"cannot connect to PostgreSQL at {settings.host}:{settings.port} as {settings.user}: {exc}"
            ) from exc
        self.connects += 1
        if not self._migrated:
            source = self._migration_source
            migrations = source if isinstance(source, Sequence) and not isinstance(source, str) else load(source)  # type: ignore[arg-type]
            try:
                apply(conn, migrations, logger=self.log)
            except psycopg.Error as exc:
                # The connection failed around the migrations (not a migration's own SQL, which
                # apply() reports as MigrationError): neutral, and the next invocation retries.
                conn.close()
                raise DriverError(f"applying migrations on {settings.host}:{settings.port}: {exc}") from exc
            except BaseException:
                conn.close()
                raise
            self._migrated = True
        return conn

    def connection(self) -> Any:
        """The container's connection, opened (and the schema migrated) on first use."""
        if self._conn is None or self._conn.closed or self._conn.broken:
            self._discard()
            self._conn = self._connect()
        return self._conn

    def _discard(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None and not conn.closed:
            with contextlib.suppress(Exception):  # already dead; nothing to release
                conn.close()

    def close(self) -> None:
        self._discard()

    # -- transactions --------------------------------------------------------------------
    def _begin(self) -> Any:
        import psycopg

        for attempt in (1, 2):
            conn = self.connection()
            try:
                conn.execute("BEGIN")
                return conn
            except psycopg.OperationalError as exc:
                if attempt == 2 or not (conn.closed or conn.broken):
                    raise DriverError(f"BEGIN failed: {exc}") from exc
                # Dropped while idle (server restart, failover, idle timeout): BEGIN did
                # nothing yet, so reconnecting and retrying it is safe.
                self.log.warning("database connection was lost (%s); reconnecting", str(exc).strip())
                self._discard()
        raise AssertionError("unreachable")

    @contextmanager
    def transaction(self) -> Iterator[Any]:
        """``with driver.transaction() as conn:`` - commit on success, roll back on error."""
        conn = self._begin()
        try:
            yield conn
        except BaseException:
            self._rollback(conn)
            raise
        import psycopg
        from psycopg.pq import TransactionStatus

        if conn.info.transaction_status == TransactionStatus.INERROR:
            # PostgreSQL would turn this COMMIT into a silent ROLLBACK: say so instead.
            self._rollback(conn)
            raise DriverError(
                "the transaction was aborted by an earlier SQL error (caught inside the block); rolled back"
            )
        try:
            conn.execute("COMMIT")
        except psycopg.Error as exc:
            lost = conn.closed or conn.broken
            # Unknown outcome if the connection died at COMMIT: never reuse it.
            self._discard()
            if lost:
                raise DriverError(f"connection lost at COMMIT; the transaction's outcome is unknown: {exc}") from exc
            raise  # the server refused the COMMIT (a deferred constraint): the caller's SQL error

    def _rollback(self, conn: Any) -> None:
        if conn.closed or conn.broken:
            self._discard()
            return
        try:
            conn.execute("ROLLBACK")
        except Exception:
            self._discard()
