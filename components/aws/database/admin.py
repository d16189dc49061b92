"""The deploy-time admin step: a function in the VPC that creates the functions' login as the master.

RDS creates exactly one login, the master, and no API creates another: that takes SQL run as the
master from inside the VPC (``functions/pg_admin``), once per deploy that changes the instance,
the user or the database.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pulumi
import pulumi_aws as aws

from components.aws.database.network import Network, vpc_config
from components.bindings import database_settings
from components.permissions import Grant

if TYPE_CHECKING:
    from components.database import NewFunction, PgDatabaseArgs
    from components.function import ServerlessFunction

ADMIN_CODE = "pg_admin"  # functions/pg_admin: creates the functions' login as the master


def admin_function(
    name: str,
    args: PgDatabaseArgs,
    instance: aws.rds.Instance,
    secret_arn: pulumi.Output[str],
    network: Network,
    new_function: NewFunction,
    parent: pulumi.Resource,
) -> ServerlessFunction:
    """``functions/pg_admin`` in the VPC, allowed to read the master secret and nothing else."""
    admin = new_function(
        f"{name}-admin",
        parent,
        code=ADMIN_CODE,
        timeout_s=60,
        description=f"Creates the login of functions connected to PostgreSQL {name} (run at deploy)",
    )

    admin.grant(Grant("network.attach", ["*"]))
    admin.grant(
        Grant(
            "secret.read",
            [secret_arn],
            settings=database_settings(
                "admin",
                host=instance.address,
                port=instance.port.apply(str),
                name=args.database_name,
                user=args.admin_user,
                sslmode="require",
                secret_arn=secret_arn,
            ),
        )
    )
    admin.attach_vpc(vpc_config(admin, network, network.admin))
    return admin


def login_setup(
    name: str,
    args: PgDatabaseArgs,
    admin: ServerlessFunction,
    instance: aws.rds.Instance,
    depends_on: list[pulumi.Resource],
    parent: pulumi.Resource,
) -> aws.lambda_.Invocation:
    """Run the admin step at deploy time. The provider fails the deploy if the function raises.
    Re-run when the instance is replaced or the user/database change (the input); the step is
    idempotent."""
    return aws.lambda_.Invocation(
        f"{name}-login",
        function_name=admin.function_name,
        input=json.dumps({"user": args.user, "database": args.database_name}, separators=(",", ":")),
        triggers={"instance": instance.resource_id},
        opts=pulumi.ResourceOptions(parent=parent, depends_on=depends_on),
    )
