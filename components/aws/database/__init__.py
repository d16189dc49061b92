"""RDS for PostgreSQL backend of PgDatabase: private VPC, security groups, an admin step, IAM logins.

Split by concern: ``network`` (VPC, subnets, security groups), ``instance`` (RDS), ``secret``
(the master secret and its VPC endpoint), ``admin`` (the deploy-time step creating the login).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pulumi
import pulumi_aws as aws

from components.aws.arns import rds_db_user
from components.aws.database.admin import ADMIN_CODE, admin_function, login_setup
from components.aws.database.instance import DEFAULT_CLASS, create_instance
from components.aws.database.network import PORT, Network, create_network, vpc_config
from components.aws.database.secret import master_secret, secrets_endpoint
from components.bindings import database_settings
from components.errors import invalid
from components.permissions import Grant

if TYPE_CHECKING:
    from components.app import Application
    from components.database import NewFunction, PgDatabase, PgDatabaseArgs
    from components.function import ServerlessFunction

__all__ = ["ADMIN_CODE", "BACKEND", "DEFAULT_CLASS", "PORT", "AwsDatabase", "AwsPlan", "create", "prepare"]


@dataclass(frozen=True)
class AwsPlan:
    zones: tuple[str, ...]


def prepare(name: str, args: PgDatabaseArgs, app: Application) -> AwsPlan:
    """Look-ups that can fail the program before any resource exists."""
    found = aws.get_availability_zones(
        state="available", filters=[{"name": "opt-in-status", "values": ["opt-in-not-required"]}]
    )
    names = sorted(found.names or [])
    if len(names) < 2:
        raise invalid(
            f"database '{name}' availability zones",
            names,
            f"RDS needs subnets in at least two AZs; region {app.region} offers fewer",
        )
    return AwsPlan(zones=tuple(names[:2]))


@dataclass
class AwsDatabase:
    network: Network
    subnet_group: aws.rds.SubnetGroup
    instance: aws.rds.Instance
    secret_arn: pulumi.Output[str]
    secrets_endpoint: aws.ec2.VpcEndpoint
    admin_function: ServerlessFunction
    login_setup: aws.lambda_.Invocation
    args: PgDatabaseArgs
    region: str
    account_id: str
    secret: aws.secretsmanager.Secret | None = None
    secret_version: aws.secretsmanager.SecretVersion | None = None

    @property
    def vpc(self) -> aws.ec2.Vpc:
        return self.network.vpc

    @property
    def host(self) -> pulumi.Output[str]:
        return self.instance.address

    @property
    def port(self) -> pulumi.Output[str]:
        return self.instance.port.apply(str)

    @property
    def functions(self) -> dict[str, pulumi.Output[str]]:
        return {self.admin_function.logical_name: self.admin_function.function_name}

    @property
    def db_user_arn(self) -> pulumi.Output[str]:
        """What connected functions may ``rds-db:connect`` to: the functions' user on this instance."""
        return self.instance.resource_id.apply(
            lambda rid: rds_db_user(self.region, self.account_id, rid, self.args.user)
        )

    def grants(self) -> Sequence[Grant]:
        # Lambda creates the ENIs with the function's role: "*" because EC2's
        # network-interface actions have no resource-level scope (see permissions.py).
        return (Grant("network.attach", ["*"]), Grant("db.connect", [self.db_user_arn]))

    def connection_settings(self, binding: str) -> Mapping[str, pulumi.Input[str]]:
        return database_settings(
            binding,
            host=self.host,
            port=self.port,
            name=self.args.database_name,
            # Through the admin step's result: the function is created only once its login
            # exists (the same ordering the Alibaba backend gets from the privilege).
            user=pulumi.Output.all(self.args.user, self.login_setup.result).apply(lambda v: v[0]),
            auth="iam",
            # RDS for PostgreSQL 15+ enforces TLS (rds.force_ssl=1); IAM logins require it too.
            sslmode="require",
        )

    def vpc_config(self, fn: ServerlessFunction) -> dict[str, Any]:
        return vpc_config(fn, self.network, self.network.functions)


def create(
    component: PgDatabase,
    name: str,
    args: PgDatabaseArgs,
    app: Application,
    password: pulumi.Output[str] | None,
    plan: AwsPlan,
    new_function: NewFunction,
) -> AwsDatabase:
    network = create_network(name, args, app, plan.zones, component)
    subnet_group, instance = create_instance(name, args, app, network, password, component)
    secret = master_secret(name, args, app, instance, password, component)
    admin = admin_function(name, args, instance, secret.arn, network, new_function, component)
    endpoint = secrets_endpoint(name, app, network, secret.arn, admin.native.role.arn)
    # The admin step reaches the secret through the endpoint and the DB through its rules.
    depends: list[pulumi.Resource] = [endpoint, *network.rules, *([secret.version] if secret.version else [])]
    return AwsDatabase(
        network=network,
        subnet_group=subnet_group,
        instance=instance,
        secret_arn=secret.arn,
        secrets_endpoint=endpoint,
        admin_function=admin,
        login_setup=login_setup(name, args, admin, instance, depends, component),
        args=args,
        region=app.region,
        account_id=app.account_id,
        secret=secret.secret,
        secret_version=secret.version,
    )


class RdsBackend:
    """``DatabaseBackend`` on RDS for PostgreSQL."""

    prepare = staticmethod(prepare)
    create = staticmethod(create)


BACKEND = RdsBackend()
