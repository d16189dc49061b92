"""RDS for PostgreSQL backend of PgDatabase: private VPC, security groups, an admin step, IAM logins."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pulumi
import pulumi_aws as aws

from components.aws.arns import rds_db_user
from components.bindings import setting_name
from components.database import subnets
from components.errors import invalid
from components.permissions import Grant

if TYPE_CHECKING:
    from components.app import Application
    from components.database import PgDatabase, PgDatabaseArgs
    from components.function import ServerlessFunction

PORT = 5432
DEFAULT_CLASS = "db.t4g.micro"
ADMIN_CODE = "pg_admin"  # functions/pg_admin: creates the functions' login as the master


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
    vpc: aws.ec2.Vpc
    subnets: list[aws.ec2.Subnet]
    db_security_group: aws.ec2.SecurityGroup
    functions_security_group: aws.ec2.SecurityGroup
    admin_security_group: aws.ec2.SecurityGroup
    endpoints_security_group: aws.ec2.SecurityGroup
    rules: list[Any]
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

    def connect(self, fn: ServerlessFunction, binding: str) -> None:
        def key(f: str) -> str:
            return setting_name("db", binding, f)

        # Lambda creates the ENIs with the function's role: "*" because EC2's
        # network-interface actions have no resource-level scope (see permissions.py).
        fn.grant(Grant("network.attach", ["*"]))
        fn.grant(
            Grant(
                "db.connect",
                [self.db_user_arn],
                settings={
                    key("host"): self.host,
                    key("port"): self.port,
                    key("name"): self.args.database_name,
                    # Through the admin step's result: the function is created only once its
                    # login exists (the same ordering the Alibaba backend gets from the privilege).
                    key("user"): pulumi.Output.all(self.args.user, self.login_setup.result).apply(lambda v: v[0]),
                    key("auth"): "iam",
                    # RDS for PostgreSQL 15+ enforces TLS (rds.force_ssl=1); IAM logins require it too.
                    key("sslmode"): "require",
                },
            )
        )
        _attach(fn, self.subnets, self.functions_security_group)


def _attach(fn: ServerlessFunction, private: list[aws.ec2.Subnet], group: aws.ec2.SecurityGroup) -> None:
    # CreateFunction with a VPC checks the role's ENI permissions: make the function wait
    # for the grants policy by routing the security group id through it.
    policy = fn.grant_policy
    security_group = group.id
    if policy is not None:
        security_group = pulumi.Output.all(security_group, policy.id).apply(lambda v: v[0])
    fn.attach_vpc({"subnet_ids": [s.id for s in private], "security_group_ids": [security_group]})


def _rule(kind: str, name: str, parent: pulumi.Resource, **kwargs: Any) -> Any:
    cls = aws.vpc.SecurityGroupIngressRule if kind == "ingress" else aws.vpc.SecurityGroupEgressRule
    return cls(name, ip_protocol="tcp", opts=pulumi.ResourceOptions(parent=parent), **kwargs)


def create(
    component: PgDatabase,
    name: str,
    args: PgDatabaseArgs,
    app: Application,
    password: pulumi.Output[str] | None,
    plan: AwsPlan,
) -> AwsDatabase:
    child = pulumi.ResourceOptions(parent=component)
    physical = app.names.physical(name)
    vpc = aws.ec2.Vpc(
        f"{name}-vpc",
        cidr_block=args.cidr,
        # Interface endpoints with private DNS need both.
        enable_dns_support=True,
        enable_dns_hostnames=True,
        tags={"Name": physical},
        opts=child,
    )
    private = [
        aws.ec2.Subnet(
            f"{name}-private-{i + 1}",
            vpc_id=vpc.id,
            cidr_block=cidr,
            availability_zone=zone,
            map_public_ip_on_launch=False,
            tags={"Name": f"{physical}-private-{i + 1}"},
            opts=pulumi.ResourceOptions(parent=vpc),
        )
        for i, (zone, cidr) in enumerate(zip(plan.zones, subnets(args.cidr, len(plan.zones))))
    ]

    def group(tag: str, description: str) -> aws.ec2.SecurityGroup:
        # No inline rules: the provider then also removes AWS's default allow-all egress.
        return aws.ec2.SecurityGroup(
            f"{name}-{tag}",
            name=app.names.physical(name, tag),
            description=description,
            vpc_id=vpc.id,
            tags={"Name": app.names.physical(name, tag)},
            opts=pulumi.ResourceOptions(parent=vpc),
        )

    db_sg = group("db", f"PostgreSQL {physical}: 5432 from connected functions and the admin step only")
    fn_sg = group("functions", f"Functions connected to {physical}: out to the DB only")
    admin_sg = group("admin", f"Admin step of {physical}: out to the DB and the Secrets Manager endpoint only")
    ep_sg = group("endpoints", f"VPC endpoints of {physical}: 443 from the admin step only")
    # (direction, owner, peer, port, description): every path the network allows, and no other.
    paths = [
        ("ingress", ("db", db_sg), ("functions", fn_sg), PORT, "PostgreSQL from connected functions"),
        ("ingress", ("db", db_sg), ("admin", admin_sg), PORT, "PostgreSQL from the admin step"),
        ("egress", ("functions", fn_sg), ("db", db_sg), PORT, "PostgreSQL"),
        ("egress", ("admin", admin_sg), ("db", db_sg), PORT, "PostgreSQL"),
        ("egress", ("admin", admin_sg), ("endpoints", ep_sg), 443, "HTTPS to the Secrets Manager endpoint"),
        ("ingress", ("endpoints", ep_sg), ("admin", admin_sg), 443, "HTTPS from the admin step"),
    ]
    rules = [
        _rule(
            kind,
            f"{name}-{owner}-{'from' if kind == 'ingress' else 'to'}-{peer}",
            owner_sg,
            security_group_id=owner_sg.id,
            referenced_security_group_id=peer_sg.id,
            from_port=port,
            to_port=port,
            description=description,
        )
        for kind, (owner, owner_sg), (peer, peer_sg), port, description in paths
    ]
    subnet_group = aws.rds.SubnetGroup(
        f"{name}-subnets",
        name=physical,
        description=f"Private subnets of {physical}",
        subnet_ids=[s.id for s in private],
        opts=child,
    )

    secret: aws.secretsmanager.Secret | None = None
    version: aws.secretsmanager.SecretVersion | None = None
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
        "vpc_security_group_ids": [db_sg.id],
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
    instance = aws.rds.Instance(name, **instance_args, opts=child)

    if password is None:
        secret_arn = instance.master_user_secrets.apply(lambda s: s[0].secret_arn)
    else:
        secret = aws.secretsmanager.Secret(
            f"{name}-secret",
            name=app.names.physical(name, "db"),
            description=f"Master login of PostgreSQL {physical}, read only by its admin step",
            recovery_window_in_days=0 if args.throwaway else 7,
            opts=child,
        )
        version = aws.secretsmanager.SecretVersion(
            f"{name}-secret",
            secret_id=secret.id,
            secret_string=pulumi.Output.secret(
                pulumi.Output.json_dumps({"username": args.admin_user, "password": password})
            ),
            opts=pulumi.ResourceOptions(parent=secret),
        )
        secret_arn = secret.arn

    admin = _admin_function(component, name, args, instance, secret_arn, private, admin_sg)
    endpoint_policy = pulumi.Output.all(secret_arn, admin.native.role.arn).apply(
        lambda v: json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        # Narrower than IAM alone: through this endpoint, only the admin step's
                        # role, and only the master secret.
                        "Principal": {"AWS": v[1]},
                        "Action": ["secretsmanager:GetSecretValue"],
                        "Resource": [v[0]],
                    }
                ],
            },
            separators=(",", ":"),
        )
    )
    endpoint = aws.ec2.VpcEndpoint(
        f"{name}-secretsmanager",
        vpc_id=vpc.id,
        service_name=f"com.amazonaws.{app.region}.secretsmanager",
        vpc_endpoint_type="Interface",
        subnet_ids=[s.id for s in private],
        security_group_ids=[ep_sg.id],
        private_dns_enabled=True,
        policy=endpoint_policy,
        tags={"Name": f"{physical}-secretsmanager"},
        opts=pulumi.ResourceOptions(parent=vpc),
    )
    # Deploy-time: create the functions' login as the master, from inside the VPC. The
    # provider fails the deploy if the function raises. Re-run when the instance is replaced
    # or the user/database change (the input); the step is idempotent.
    login_setup = aws.lambda_.Invocation(
        f"{name}-login",
        function_name=admin.function_name,
        input=json.dumps({"user": args.user, "database": args.database_name}, separators=(",", ":")),
        triggers={"instance": instance.resource_id},
        opts=pulumi.ResourceOptions(
            parent=component,
            # The admin step reaches the secret through the endpoint and the DB through its rules.
            depends_on=[endpoint, *rules, *([version] if version is not None else [])],
        ),
    )
    return AwsDatabase(
        vpc=vpc,
        subnets=private,
        db_security_group=db_sg,
        functions_security_group=fn_sg,
        admin_security_group=admin_sg,
        endpoints_security_group=ep_sg,
        rules=rules,
        subnet_group=subnet_group,
        instance=instance,
        secret_arn=secret_arn,
        secrets_endpoint=endpoint,
        admin_function=admin,
        login_setup=login_setup,
        args=args,
        region=app.region,
        account_id=app.account_id,
        secret=secret,
        secret_version=version,
    )


def _admin_function(
    component: PgDatabase,
    name: str,
    args: PgDatabaseArgs,
    instance: aws.rds.Instance,
    secret_arn: pulumi.Output[str],
    private: list[aws.ec2.Subnet],
    group: aws.ec2.SecurityGroup,
) -> ServerlessFunction:
    """``functions/pg_admin`` in the VPC, allowed to read the master secret and nothing else."""
    from components.function import FunctionArgs, ServerlessFunction

    admin = ServerlessFunction(
        f"{name}-admin",
        FunctionArgs(
            code=ADMIN_CODE,
            timeout_s=60,
            description=f"Creates the login of functions connected to PostgreSQL {name} (run at deploy)",
        ),
        opts=pulumi.ResourceOptions(parent=component),
    )

    def key(f: str) -> str:
        return setting_name("db", "admin", f)

    admin.grant(Grant("network.attach", ["*"]))
    admin.grant(
        Grant(
            "secret.read",
            [secret_arn],
            settings={
                key("host"): instance.address,
                key("port"): instance.port.apply(str),
                key("name"): args.database_name,
                key("user"): args.admin_user,
                key("sslmode"): "require",
                key("secret_arn"): secret_arn,
            },
        )
    )
    _attach(admin, private, group)
    return admin
