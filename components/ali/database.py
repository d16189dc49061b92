"""ApsaraDB RDS for PostgreSQL backend of PgDatabase: VPC, vswitch, whitelist, non-privileged account."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pulumi
import pulumi_alicloud as alicloud

from components.bindings import database_settings
from components.errors import invalid
from components.network import subnets
from components.passwords import GENERATED_LENGTH, GENERATED_MIN_PER_CLASS, PASSWORD_SPECIALS
from components.permissions import Grant

if TYPE_CHECKING:
    from components.app import Application
    from components.database import NewFunction, PgDatabase, PgDatabaseArgs
    from components.function import ServerlessFunction

# The offer we ask for, everywhere: cheapest edition, pay-as-you-go, ESSD.
CATEGORY = "Basic"
STORAGE_TYPE = "cloud_essd"
CHARGE = "PostPaid"
WEEK = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]

# AliyunServiceRoleForFC is account-wide: create it at most once per program (Application.shared).
FC_SERVICE_ROLE = "ali.fc-service-linked-role"


@dataclass(frozen=True)
class AliPlan:
    zone: str
    instance_class: str
    engine_version: str
    vswitch_cidr: str


def prepare(name: str, args: PgDatabaseArgs, app: Application) -> AliPlan:
    """Pick a zone offering both FC and this PostgreSQL, and a class offered there."""
    where = f"database '{name}'"
    engine_version = f"{args.engine_version}.0"
    fc_zones = set(alicloud.fc.get_zones().ids or [])
    rds_zones = (
        alicloud.rds.get_zones(
            engine="PostgreSQL",
            engine_version=engine_version,
            category=CATEGORY,
            db_instance_storage_type=STORAGE_TYPE,
            instance_charge_type=CHARGE,
        ).ids
        or []
    )
    common = sorted(z for z in rds_zones if z in fc_zones)
    if not common:
        raise invalid(
            f"{where} zone",
            {"fc": sorted(fc_zones), "rds": sorted(rds_zones)},
            f"a zone of {app.region} offering both Function Compute and PostgreSQL {engine_version} "
            f"({CATEGORY}, {STORAGE_TYPE}, {CHARGE}); choose another region or engine_version",
        )
    offered: dict[str, list[str]] = {}
    for zone in common:
        classes = (
            alicloud.rds.get_instance_classes(
                engine="PostgreSQL",
                engine_version=engine_version,
                category=CATEGORY,
                db_instance_storage_type=STORAGE_TYPE,
                instance_charge_type=CHARGE,
                zone_id=zone,
                sorted_by="Price",
            ).instance_classes
            or []
        )
        names = [c.instance_class for c in classes]
        offered[zone] = names
        if args.instance_class is None and names:
            return AliPlan(zone, names[0], engine_version, subnets(args.cidr, 1)[0])
        if args.instance_class is not None and args.instance_class in names:
            return AliPlan(zone, args.instance_class, engine_version, subnets(args.cidr, 1)[0])
    raise invalid(
        f"{where} instance_class",
        args.instance_class,
        f"a class offered for PostgreSQL {engine_version} {CATEGORY} in the zones where FC also runs: {offered}",
    )


@dataclass
class AliDatabase:
    vpc: alicloud.vpc.Network
    vswitch: alicloud.vpc.Switch
    security_group: alicloud.ecs.SecurityGroup
    instance: alicloud.rds.Instance
    backup_policy: alicloud.rds.BackupPolicy
    account: alicloud.rds.RdsAccount
    database: alicloud.rds.Database
    privilege: alicloud.rds.AccountPrivilege
    password: pulumi.Output[str]
    args: PgDatabaseArgs
    service_linked_role: alicloud.resourcemanager.ServiceLinkedRole | None = None

    @property
    def functions(self) -> dict[str, pulumi.Output[str]]:
        return {}  # the provider creates the functions' account; no function of its own

    @property
    def host(self) -> pulumi.Output[str]:
        return self.instance.connection_string

    @property
    def port(self) -> pulumi.Output[str]:
        return self.instance.port

    def grants(self) -> Sequence[Grant]:
        # FC assumes the function's own role to attach it to the VPC (see
        # components/permissions.py), so that role gets the VPC read and ENI actions.
        return (Grant("network.attach", ["*"]),)

    def connection_settings(self, binding: str) -> Mapping[str, pulumi.Input[str]]:
        # The password goes in the environment (a Pulumi secret; FC encrypts variables at
        # rest): KMS Secrets Manager needs a paid dedicated KMS instance, and the function would
        # then also need internet or a KMS endpoint.
        return database_settings(
            binding,
            host=self.host,
            port=self.port,
            # Outputs of the database and the privilege: the function is created only once its
            # account may log in to its database.
            name=pulumi.Output.all(self.database.data_base_name, self.privilege.id).apply(lambda v: v[0]),
            user=self.account.account_name,
            password=self.password,
            # SSL is opened on the instance (ssl_action); refuse to talk without it.
            sslmode="require",
        )

    def vpc_config(self, fn: ServerlessFunction) -> Mapping[str, Any]:
        # FC checks the role's VPC permissions when it creates the function: the VPC config
        # (hence the function) waits for the grants policy to be attached, and for the
        # service-linked role when this program creates it.
        after: list[pulumi.Output[Any]] = [fn.grant_policy.id]
        if self.service_linked_role is not None:
            after.append(self.service_linked_role.role_name)
        vpc_id: pulumi.Output[str] = pulumi.Output.all(self.vpc.id, *after).apply(lambda v: v[0])
        return {"vpc_id": vpc_id, "vswitch_ids": [self.vswitch.id], "security_group_id": self.security_group.id}


def generated_password(name: str, component: PgDatabase, protect: bool) -> pulumi.Output[str]:
    """The account password when none is configured: ``random.RandomPassword``, a secret in state.

    Every class ApsaraDB counts (lowercase, uppercase, digits, its special characters) is
    present, so the "three of four" rule always holds; the special characters are the subset
    both clouds accept (``passwords.PASSWORD_SPECIALS``). Generated once and kept in the state;
    protected like the instance (``protect``), so a destroy that stops at the instance does not
    leave the account with a password no longer in the state.
    """
    # Imported here: a stack given ``dbPassword`` (or with no database) never loads the provider.
    import pulumi_random as random

    generated = random.RandomPassword(
        f"{name}-password",
        length=GENERATED_LENGTH,
        lower=True,
        upper=True,
        numeric=True,
        special=True,
        min_lower=GENERATED_MIN_PER_CLASS,
        min_upper=GENERATED_MIN_PER_CLASS,
        min_numeric=GENERATED_MIN_PER_CLASS,
        min_special=GENERATED_MIN_PER_CLASS,
        override_special=PASSWORD_SPECIALS,
        opts=pulumi.ResourceOptions(parent=component, protect=protect),
    )
    # The provider marks ``result`` secret; say so here too, so no path can lose the flag.
    return pulumi.Output.secret(generated.result)


def create(
    component: PgDatabase,
    name: str,
    args: PgDatabaseArgs,
    app: Application,
    password: pulumi.Output[str] | None,
    plan: AliPlan,
    new_function: NewFunction,
) -> AliDatabase:
    child = pulumi.ResourceOptions(parent=component)
    if password is None:
        password = generated_password(name, component, protect=not args.throwaway)
    physical = app.names.physical(name)
    vpc = alicloud.vpc.Network(
        f"{name}-vpc",
        vpc_name=physical,
        cidr_block=args.cidr,
        description=f"Private network of PostgreSQL {physical}",
        opts=child,
    )
    vswitch = alicloud.vpc.Switch(
        f"{name}-vswitch",
        vswitch_name=physical,
        vpc_id=vpc.id,
        cidr_block=plan.vswitch_cidr,
        zone_id=plan.zone,
        description=f"Functions and PostgreSQL {physical} ({plan.zone}: FC and RDS both offered)",
        opts=pulumi.ResourceOptions(parent=vpc),
    )
    # FC requires a security group for the functions' ENIs. No ingress rules: nothing may
    # connect to a function. The database is gated by its whitelist (the vswitch CIDR).
    security_group = alicloud.ecs.SecurityGroup(
        f"{name}-functions",
        security_group_name=app.names.physical(name, "functions"),
        description=f"ENIs of functions connected to {physical}",
        vpc_id=vpc.id,
        opts=pulumi.ResourceOptions(parent=vpc),
    )
    instance_args: dict[str, Any] = {
        "instance_name": physical,
        "engine": "PostgreSQL",
        "engine_version": plan.engine_version,
        "instance_type": plan.instance_class,
        "instance_storage": args.storage_gb,
        "db_instance_storage_type": STORAGE_TYPE,
        "category": CATEGORY,
        "instance_charge_type": "Postpaid",
        "zone_id": plan.zone,
        "vpc_id": vpc.id,
        "vswitch_id": vswitch.id,
        # The whitelist: the functions' vswitch and nothing else (no public endpoint exists).
        "security_ips": [plan.vswitch_cidr],
        # Release protection: DeleteDBInstance fails while it is on (pay-as-you-go PostgreSQL).
        # No released_keep_policy: ApsaraDB documents it for MySQL only (DeleteDBInstance: "MySQL
        # with local SSDs"; the "backup retention after release" page is RDS for MySQL's), so on
        # PostgreSQL it would promise a kept backup that nothing keeps. See the protect option below.
        "deletion_protection": not args.throwaway,
        "auto_upgrade_minor_version": "Auto",
        # Encryption in transit, as RDS enforces on AWS: ApsaraDB ships with SSL off. The provider
        # calls ModifyDBInstanceSSL for the instance's own (internal) connection string, with a
        # certificate from Alibaba Cloud's CA.
        "ssl_action": "Open",
        "ca_type": "aliyun",
    }
    instance_args.update(args.ali)
    # Destroy never silently loses the data: unless throwaway, the instance (and, by inheritance,
    # its account, database and backup policy) is protected, so `pulumi destroy` stops before
    # calling the API. Releasing it takes an explicit step (README: "Releasing an ApsaraDB
    # instance"): a manual backup or dump first, then throwaway=true and `pulumi up`.
    instance = alicloud.rds.Instance(
        name,
        **instance_args,
        opts=pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(protect=not args.throwaway)),
    )
    backup_policy = alicloud.rds.BackupPolicy(
        f"{name}-backups",
        instance_id=instance.id,
        preferred_backup_periods=WEEK,
        preferred_backup_time="18:00Z-19:00Z",
        backup_retention_period=args.backup_retention_days,
        opts=pulumi.ResourceOptions(parent=instance),
    )
    account = alicloud.rds.RdsAccount(
        f"{name}-account",
        db_instance_id=instance.id,
        account_name=args.user,
        account_password=password,
        # Normal, not Super: it gets rights on its own database only (the privilege below).
        account_type="Normal",
        account_description=f"Login of functions connected to {physical}",
        opts=pulumi.ResourceOptions(parent=instance),
    )
    database = alicloud.rds.Database(
        f"{name}-database",
        instance_id=instance.id,
        data_base_name=args.database_name,
        character_set="UTF8,C,en_US.utf8",
        description=f"Database of {physical}",
        opts=pulumi.ResourceOptions(parent=instance),
    )
    privilege = alicloud.rds.AccountPrivilege(
        f"{name}-privilege",
        instance_id=instance.id,
        account_name=account.account_name,
        db_names=[database.data_base_name],
        # The only privilege ApsaraDB PostgreSQL offers: owner of this database (DDL for the
        # migrations included), nothing on other databases or the instance.
        privilege="DBOwner",
        opts=pulumi.ResourceOptions(parent=instance),
    )
    role = None
    if args.fc_service_linked_role:
        role = app.shared(
            FC_SERVICE_ROLE,
            lambda: alicloud.resourcemanager.ServiceLinkedRole(
                "fc-service-linked-role",
                service_name="fc.aliyuncs.com",
                description="Lets Function Compute attach functions to VPCs (AliyunServiceRoleForFC)",
                # Account-wide, so a child of the stack rather than of whichever database asks
                # first (removing that database must not delete it). It used to be that
                # database's child: the alias keeps a deployed stack's role.
                opts=pulumi.ResourceOptions(aliases=[pulumi.Alias(parent=component)]),
            ),
        )
    return AliDatabase(
        vpc=vpc,
        vswitch=vswitch,
        security_group=security_group,
        instance=instance,
        backup_policy=backup_policy,
        account=account,
        database=database,
        privilege=privilege,
        password=password,
        args=args,
        service_linked_role=role,
    )


class ApsaraBackend:
    """``DatabaseBackend`` on ApsaraDB RDS for PostgreSQL."""

    prepare = staticmethod(prepare)
    create = staticmethod(create)


BACKEND = ApsaraBackend()
