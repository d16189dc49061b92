"""PgDatabase's admin step on AWS: give the functions a login of their own, not the master's.

RDS creates exactly one login, the master user, and no API creates others: that takes SQL run
as the master. ``PgDatabase`` deploys this function inside the database's VPC, lets it read
only the master secret, and invokes it once at deploy time (``aws.lambda_.Invocation``). It:

- creates the functions' role (``LOGIN``, no password, no ``SUPERUSER``/``CREATEDB``/
  ``CREATEROLE``) if it does not exist, and refuses to reuse a role that has any of those;
- grants it ``rds_iam``, so it logs in with IAM tokens only (``rds-db:connect`` on that one
  user, granted by ``db.connect(fn)``); there is no password to store, leak or rotate;
- grants ``CONNECT, TEMPORARY`` on the database and ``USAGE, CREATE`` on its ``public``
  schema: enough to run the functions' migrations and own the tables they create, and
  nothing on other databases, roles or the instance (ApsaraDB's ``DBOwner`` counterpart).

Idempotent and serialised by a transaction-scoped advisory lock, so a re-run (a replaced
instance, a changed user) converges; it runs in one transaction, so a failure changes nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from cloudfn import Invocation
from cloudfn.drivers.postgres import PostgresDriver, settings_from_env
from cloudfn.errors import ConflictError, EventFormatError, NotFoundError

BINDING = "admin"  # the settings PgDatabase injects: DB_ADMIN_HOST, ..., DB_ADMIN_SECRET_ARN
USER = re.compile(r"^[a-z][a-z0-9_]{1,15}$")
DATABASE = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
IAM_ROLE = "rds_iam"
LOCK_KEY = 0x636C_6F75_6466_6E01  # "cloudfn" + 1: this step's advisory lock, distinct from migrations'


@dataclass(frozen=True)
class LoginRole:
    """What to set up: the functions' login ``user`` on ``database``."""

    user: str
    database: str
    iam_role: str = IAM_ROLE


def parse(event: Any) -> LoginRole:
    """The invocation's input, ``{"user": ..., "database": ...}`` (extra keys are ignored)."""
    expected = 'a JSON object {"user": "<2-16 of a-z0-9_>", "database": "<1-63 of a-z0-9_>"}'
    if not isinstance(event, dict):
        raise EventFormatError(f"expected {expected}; got {type(event).__name__}")
    user, database = event.get("user"), event.get("database")
    if not isinstance(user, str) or not USER.match(user):
        raise EventFormatError(f"expected {expected}; 'user' is {user!r}")
    if not isinstance(database, str) or not DATABASE.match(database):
        raise EventFormatError(f"expected {expected}; 'database' is {database!r}")
    return LoginRole(user=user, database=database)


def ensure_login_role(conn: Any, want: LoginRole) -> dict[str, Any]:
    """Create or check the role and grant it exactly its rights. Runs inside the caller's transaction."""
    from psycopg import sql

    role, db, iam = (sql.Identifier(x) for x in (want.user, want.database, want.iam_role))
    conn.execute("SELECT pg_advisory_xact_lock(%s)", (LOCK_KEY,))
    admin, current_db = conn.execute("SELECT current_user, current_database()").fetchone()
    if current_db != want.database:
        raise ConflictError(f"connected to database {current_db!r}, asked to set up {want.database!r}")
    if want.user == admin:
        raise ConflictError(f"refusing to hand the admin login {admin!r} to functions; choose another user")
    if conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (want.iam_role,)).fetchone() is None:
        raise NotFoundError(
            f"role {want.iam_role!r} does not exist: IAM database authentication is an RDS for PostgreSQL feature"
        )
    row = conn.execute(
        "SELECT rolsuper, rolcreaterole, rolcreatedb, rolcanlogin FROM pg_roles WHERE rolname = %s", (want.user,)
    ).fetchone()
    created = row is None
    if created:
        conn.execute(sql.SQL("CREATE ROLE {} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE").format(role))
    else:
        superuser, createrole, createdb, canlogin = row
        broad = [
            name for name, on in (("SUPERUSER", superuser), ("CREATEROLE", createrole), ("CREATEDB", createdb)) if on
        ]
        if broad:
            raise ConflictError(
                f"role {want.user!r} already exists with {', '.join(broad)}; functions must not log in with it"
            )
        if not canlogin:
            conn.execute(sql.SQL("ALTER ROLE {} LOGIN").format(role))
    conn.execute(sql.SQL("GRANT {} TO {}").format(iam, role))
    conn.execute(sql.SQL("GRANT CONNECT, TEMPORARY ON DATABASE {} TO {}").format(db, role))
    conn.execute(sql.SQL("GRANT USAGE, CREATE ON SCHEMA public TO {}").format(role))
    return {"user": want.user, "database": want.database, "created": created, "loginWith": want.iam_role}


def make_logic(db: PostgresDriver) -> Callable[[LoginRole, Invocation], dict[str, Any]]:
    def run(want: LoginRole, inv: Invocation) -> dict[str, Any]:
        with db.transaction() as conn:
            result = ensure_login_role(conn, want)
        inv.logger.info(
            "login role %s %s on database %s (IAM authentication)",
            want.user,
            "created" if result["created"] else "checked",
            want.database,
        )
        return result

    return run


def bootstrap(env: Mapping[str, str] | None = None) -> Callable[[LoginRole, Invocation], dict[str, Any]]:
    """The logic wired to this container's driver (the master login, read from Secrets Manager)."""
    return make_logic(PostgresDriver(lambda: settings_from_env(BINDING, env)))
