"""output_postgresql: the tutorial's tasks CRUD against PostgreSQL in a private network.

Unlike the tutorial, nothing is ever opened to the internet: the function applies its own
versioned migrations from inside the VPC on cold start and logs in with a login of its own, not
the master: an IAM-authenticated role created at deploy time (AWS, no password at all) or a
Normal RDS account whose password is a secret environment variable (Alibaba Cloud).
"""

from __future__ import annotations

from typing import Any

from components.app import Application
from components.database import PgDatabase, PgDatabaseArgs
from components.function import FunctionArgs, ServerlessFunction
from samples.registry import sample


@sample("output_postgresql", reads=("dbPassword", "createServiceLinkedRoles"))
def build(app: Application) -> dict[str, Any]:
    db = PgDatabase(
        "tasks",  # the binding the function reads: DB_TASKS_* (output_postgresql.BINDING)
        PgDatabaseArgs(
            database_name="outpgbase",
            user="outpguser",
            throwaway=app.settings.throwaway,
            # Alibaba Cloud: FC's own account-wide role for VPC access (createServiceLinkedRoles).
            fc_service_linked_role=app.settings.create_service_linked_roles,
        ),
    )
    fn = ServerlessFunction(
        "outpg",
        FunctionArgs(
            code="output_postgresql",
            description="Tasks CRUD on PostgreSQL (migrations applied on cold start)",
            memory_mb=256,
            timeout_s=60,  # a cold start may wait for another instance's migrations
        ),
    )
    db.connect(fn)
    # Every function the stack runs, the database's own admin step (AWS) included.
    return {"functions": {"outpg": fn.function_name, **db.functions}, "db_host": db.host}
