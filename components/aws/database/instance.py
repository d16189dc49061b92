"""The RDS for PostgreSQL instance and its subnet group."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pulumi
import pulumi_aws as aws

from components.aws.database.network import PORT, Network

if TYPE_CHECKING:
    from components.app import Application
    from components.database import PgDatabaseArgs

DEFAULT_CLASS = "db.t4g.micro"


def create_instance(
    name: str,
    args: PgDatabaseArgs,
    app: Application,
    network: Network,
    password: pulumi.Output[str] | None,
    parent: pulumi.Resource,
) -> tuple[aws.rds.SubnetGroup, aws.rds.Instance]:
    child = pulumi.ResourceOptions(parent=parent)
    physical = app.names.physical(name)
    subnet_group = aws.rds.SubnetGroup(
        f"{name}-subnets",
        name=physical,
        description=f"Private subnets of {physical}",
        subnet_ids=network.subnet_ids,
        opts=child,
    )
    instance_args: dict[str, Any] = {
        "identifier": physical,
        "engine": "postgres",
        "engine_version": args.engine_version,  # a major: RDS picks its newest minor
        "auto_minor_version_upgrade": True,
        # Without it RDS enrols the instance in paid Extended Support when the major ages out.
        "engine_lifecycle_support": "open-source-rds-extended-support-disabled",
        "instance_class": args.instance_class or DEFAULT_CLASS,
        "allocated_storage": args.storage_gb,
        "storage_type": "gp3",
        "storage_encrypted": True,
        "db_name": args.database_name,
        # The master logs in only from the admin step; functions use their own IAM login.
        "username": args.admin_user,
        "iam_database_authentication_enabled": True,
        "port": PORT,
        "db_subnet_group_name": subnet_group.name,
        "vpc_security_group_ids": [network.db.id],
        "publicly_accessible": False,
        "multi_az": False,
        "backup_retention_period": args.backup_retention_days,
        "copy_tags_to_snapshot": True,
        "deletion_protection": not args.throwaway,
        "skip_final_snapshot": args.throwaway,
        "final_snapshot_identifier": None if args.throwaway else f"{physical}-final",
        "delete_automated_backups": args.throwaway,
    }
    if password is None:
        # RDS generates the password, keeps it in Secrets Manager and rotates it; it never
        # passes through config, the program or the state.
        instance_args["manage_master_user_password"] = True
    else:
        instance_args["password"] = password
    instance_args.update(args.aws)
    return subnet_group, aws.rds.Instance(name, **instance_args, opts=child)
