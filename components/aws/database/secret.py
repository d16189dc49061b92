"""The master secret and the only way to it: a Secrets Manager interface endpoint in the VPC."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pulumi
import pulumi_aws as aws

from components.aws.database.network import Network

if TYPE_CHECKING:
    from components.app import Application
    from components.database import PgDatabaseArgs


@dataclass
class MasterSecret:
    arn: pulumi.Output[str]
    secret: aws.secretsmanager.Secret | None = None
    version: aws.secretsmanager.SecretVersion | None = None


def master_secret(
    name: str,
    args: PgDatabaseArgs,
    app: Application,
    instance: aws.rds.Instance,
    password: pulumi.Output[str] | None,
    parent: pulumi.Resource,
) -> MasterSecret:
    """RDS's own managed secret, or (with a configured password) a secret holding it."""
    if password is None:
        return MasterSecret(arn=instance.master_user_secrets.apply(lambda s: s[0].secret_arn))
    physical = app.names.physical(name)
    secret = aws.secretsmanager.Secret(
        f"{name}-secret",
        name=app.names.physical(name, "db"),
        description=f"Master login of PostgreSQL {physical}, read only by its admin step",
        recovery_window_in_days=0 if args.throwaway else 7,
        opts=pulumi.ResourceOptions(parent=parent),
    )
    version = aws.secretsmanager.SecretVersion(
        f"{name}-secret",
        secret_id=secret.id,
        secret_string=pulumi.Output.secret(
            pulumi.Output.json_dumps({"username": args.admin_user, "password": password})
        ),
        opts=pulumi.ResourceOptions(parent=secret),
    )
    return MasterSecret(arn=secret.arn, secret=secret, version=version)


def endpoint_policy(secret_arn: str, reader_role_arn: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    # Narrower than IAM alone: through this endpoint, only the admin step's
                    # role, and only the master secret.
                    "Principal": {"AWS": reader_role_arn},
                    "Action": ["secretsmanager:GetSecretValue"],
                    "Resource": [secret_arn],
                }
            ],
        },
        separators=(",", ":"),
    )


def secrets_endpoint(
    name: str, app: Application, network: Network, secret_arn: pulumi.Output[str], reader_role_arn: pulumi.Output[str]
) -> aws.ec2.VpcEndpoint:
    """The private way to Secrets Manager (the subnets have no route out), for one role and one secret."""
    return aws.ec2.VpcEndpoint(
        f"{name}-secretsmanager",
        vpc_id=network.vpc.id,
        service_name=f"com.amazonaws.{app.region}.secretsmanager",
        vpc_endpoint_type="Interface",
        subnet_ids=network.subnet_ids,
        security_group_ids=[network.endpoints.id],
        private_dns_enabled=True,
        policy=pulumi.Output.all(secret_arn, reader_role_arn).apply(lambda v: endpoint_policy(v[0], v[1])),
        tags={"Name": f"{app.names.physical(name)}-secretsmanager"},
        opts=pulumi.ResourceOptions(parent=network.vpc),
    )
