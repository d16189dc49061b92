"""``PgDatabase``: PostgreSQL in a private network, and ``db.connect(fn)`` to use it from a function."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import pulumi

from components.app import Application
from components.errors import invalid, one_of
from components.function import FunctionArgs, ServerlessFunction, function_label
from components.naming import validate_name
from components.passwords import check_password
from components.permissions import Grant
from components.validators import boolean, int_in

TYPE = "multicloud:index:PgDatabase"
MAX_NAME = 26  # the admin step's function is '<name>-admin', within the 32-character name rule
ENGINE_VERSIONS = ("16", "17")
DB_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
# ApsaraDB's account rule (2-16, lowercase start) is the stricter of the two.
USER_NAME = re.compile(r"^[a-z][a-z0-9_]{1,15}$")
RESERVED_DBS = frozenset({"postgres", "template0", "template1", "rdsadmin"})
RESERVED_USERS = frozenset(
    {
        "postgres",
        "admin",
        "root",
        "rdsadmin",
        "rds_superuser",
        "rdsrepladmin",
        "master",
        "aurora",
        "replicator",
        "eagleye",
        "aliyun_root",
        "pg_monitor",
        "public",
        "user",
    }
)


@dataclass
class PgDatabaseArgs:
    """Neutral settings of a PostgreSQL database. Defaults are the same on both clouds.

    - ``database_name`` / ``user``: the database and the login the functions use (never the
      master: on AWS an IAM-authenticated role created at deploy time, on Alibaba Cloud a
      Normal ``RdsAccount``).
    - ``admin_user`` (AWS only): the RDS master user, used only by the deploy-time admin step
      that creates ``user``. Alibaba Cloud creates no privileged account at all.
    - ``password``: a Pulumi secret; default: the stack's ``dbPassword`` secret config, else
      generated. On AWS it is the master's: unset, RDS generates and rotates it in Secrets
      Manager itself (nothing in config or state); functions need none (IAM tokens). On Alibaba
      Cloud it is the functions' account password: unset, a ``pulumi_random.RandomPassword``
      generates one within ApsaraDB's rule (a secret in the state), so a stack needs no secret.
    - ``engine_version``: PostgreSQL major, ``"16"`` or ``"17"``.
    - ``instance_class``: ``db.t4g.micro`` on AWS; on Alibaba the cheapest Basic-edition class
      offered in the chosen zone (or this class, checked against the offer).
    - ``storage_gb``: 20..2000 (gp3 on AWS, ESSD on Alibaba Cloud).
    - ``backup_retention_days``: 7..35 (ApsaraDB's minimum, RDS's maximum).
    - ``throwaway``: for test stacks. False (default) turns on deletion protection and keeps a
      final snapshot (AWS) / release protection and Pulumi ``protect``, so destroy stops before
      releasing (Alibaba: ApsaraDB PostgreSQL keeps no backup after release); True turns them off.
    - ``cidr``: the private network, an RFC 1918 block /16../24.
    - ``fc_service_linked_role`` (Alibaba only): also create ``AliyunServiceRoleForFC``, which FC
      needs to attach functions to the VPC. Off by default: creating it fails if it exists.
    - ``aws`` / ``ali``: extra arguments for ``aws.rds.Instance`` / ``alicloud.rds.Instance``.
    """

    database_name: str = "app"
    user: str = "app"
    admin_user: str = "dbadmin"
    password: pulumi.Input[str] | None = None
    engine_version: str = "17"
    instance_class: str | None = None
    storage_gb: int = 20
    backup_retention_days: int = 7
    throwaway: bool = False
    cidr: str = "10.20.0.0/16"
    fc_service_linked_role: bool = False
    aws: Mapping[str, Any] = field(default_factory=dict)
    ali: Mapping[str, Any] = field(default_factory=dict)


class NativeDatabase(Protocol):
    """What a backend built for one database."""

    @property
    def host(self) -> pulumi.Output[str]: ...

    @property
    def port(self) -> pulumi.Output[str]: ...

    @property
    def functions(self) -> dict[str, pulumi.Output[str]]:
        """Functions the backend deploys itself (AWS: the admin step), by logical name."""
        ...

    def grants(self) -> Sequence[Grant]:
        """What a connected function's role needs (AWS: the ENI actions, ``rds-db:connect``)."""
        ...

    def connection_settings(self, binding: str) -> Mapping[str, pulumi.Input[str]]:
        """The ``DB_<BINDING>_*`` settings the PostgreSQL driver reads; Outputs that also make
        the function wait until its login exists."""
        ...

    def vpc_config(self, fn: ServerlessFunction) -> Mapping[str, Any]:
        """The function's VPC configuration (called after ``grants``: on AWS it waits for them)."""
        ...


class NewFunction(Protocol):
    """How a backend deploys a function of its own (the neutral ``ServerlessFunction``)."""

    def __call__(self, name: str, parent: pulumi.Resource, **args: Any) -> ServerlessFunction: ...


class DatabaseBackend(Protocol):
    """The contract of a cloud's database backend (``app.backend("PgDatabase")``)."""

    def prepare(self, name: str, args: PgDatabaseArgs, app: Application) -> Any:
        """Look-ups (zones, classes) that may fail the program before any resource exists."""
        ...

    def create(
        self,
        component: PgDatabase,
        name: str,
        args: PgDatabaseArgs,
        app: Application,
        password: pulumi.Output[str] | None,
        plan: Any,
        new_function: NewFunction,
    ) -> NativeDatabase:
        """Network, instance and login. ``password``: the configured one (a secret), or None
        for the backend to have one generated (AWS: RDS-managed; Alibaba: RandomPassword)."""
        ...


def _new_function(name: str, parent: pulumi.Resource, **args: Any) -> ServerlessFunction:
    return ServerlessFunction(name, FunctionArgs(**args), opts=pulumi.ResourceOptions(parent=parent))


def validate(name: str, args: PgDatabaseArgs) -> None:
    where = f"database '{name}'"
    if len(name) > MAX_NAME:
        # On both clouds, so a stack moves between them unchanged.
        raise invalid("PgDatabase name", name, f"at most {MAX_NAME} characters: on AWS it also names '{name}-admin'")
    if (
        not isinstance(args.database_name, str)
        or not DB_NAME.match(args.database_name)
        or args.database_name in RESERVED_DBS
    ):
        raise invalid(
            f"{where} database_name",
            args.database_name,
            "1-63 lowercase letters, digits or '_', starting with a letter, not " + ", ".join(sorted(RESERVED_DBS)),
        )
    for field_name in ("user", "admin_user"):
        value = getattr(args, field_name)
        if not isinstance(value, str) or not USER_NAME.match(value) or value in RESERVED_USERS:
            raise invalid(
                f"{where} {field_name}",
                value,
                "2-16 lowercase letters, digits or '_', starting with a letter, not a reserved "
                "name (" + ", ".join(sorted(RESERVED_USERS)) + ")",
            )
    if args.admin_user == args.user:
        raise invalid(f"{where} admin_user", args.admin_user, f"a name other than user '{args.user}'")
    if args.engine_version not in ENGINE_VERSIONS:
        raise invalid(f"{where} engine_version", args.engine_version, one_of(ENGINE_VERSIONS))
    if args.instance_class is not None and (not isinstance(args.instance_class, str) or not args.instance_class):
        raise invalid(f"{where} instance_class", args.instance_class, "a class name such as 'db.t4g.micro'")
    int_in(f"{where} storage_gb", args.storage_gb, 20, 2000, "GB")
    int_in(f"{where} backup_retention_days", args.backup_retention_days, 7, 35, "days")
    boolean(f"{where} throwaway", args.throwaway)
    boolean(f"{where} fc_service_linked_role", args.fc_service_linked_role)
    try:
        net = ipaddress.ip_network(args.cidr)
    except (TypeError, ValueError):
        raise invalid(f"{where} cidr", args.cidr, "an IPv4 network such as '10.20.0.0/16'") from None
    rfc1918 = [ipaddress.ip_network(p) for p in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")]
    if net.version != 4 or not 16 <= net.prefixlen <= 24 or not any(net.subnet_of(p) for p in rfc1918):
        raise invalid(f"{where} cidr", args.cidr, "an RFC 1918 block (10/8, 172.16/12, 192.168/16) sized /16../24")


class PgDatabase(pulumi.ComponentResource):
    """PostgreSQL reachable only from functions attached with ``connect(fn)``.

    AWS creates:
      - a VPC (DNS on) with two private subnets in the first two available AZs
        (``aws.get_availability_zones``); no internet gateway, no NAT, no route out;
      - security groups: ``db`` admits TCP 5432 only from ``functions`` and ``admin``;
        ``functions`` may only reach ``db`` on 5432; ``admin`` may only reach ``db`` on 5432
        and ``endpoints`` on 443; ``endpoints`` admits 443 only from ``admin``;
      - a DB subnet group and an RDS PostgreSQL instance (``engine_version`` major, gp3,
        encrypted, not publicly accessible, IAM database authentication on, backups kept
        ``backup_retention_days``, deletion protection and a final snapshot unless
        ``throwaway``, no paid Extended Support); its master user is ``admin_user``;
      - the master password: RDS-managed in Secrets Manager when none is configured; otherwise
        the ``dbPassword`` secret plus a Secrets Manager secret holding it;
      - a Secrets Manager *interface VPC endpoint* (private DNS), because the admin step runs in
        private subnets without internet; its policy lets only the admin step's role
        ``GetSecretValue`` the master secret;
      - the admin step: a ``ServerlessFunction`` ``<name>-admin`` (``functions/pg_admin``) in the
        ``admin`` group, allowed to read the master secret only, and an
        ``aws.lambda_.Invocation`` that runs it once at deploy time to create ``user`` as an
        IAM-authenticated login (``rds_iam``) with ``CONNECT``/``TEMPORARY`` on the database
        and ``USAGE``/``CREATE`` on its ``public`` schema, nothing more.
    Alibaba Cloud creates:
      - a VPC and one vswitch in a zone offering both FC (``alicloud.fc.get_zones``) and
        PostgreSQL (``alicloud.rds.get_zones``); a security group for the functions' ENIs (no
        ingress rules);
      - an ApsaraDB RDS PostgreSQL instance (``<major>.0``, Basic edition, ESSD, pay-as-you-go,
        class from ``alicloud.rds.get_instance_classes``) whose whitelist is the vswitch CIDR only,
        with a backup policy, and release protection plus Pulumi ``protect`` unless ``throwaway``
        (no backup survives a release of a PostgreSQL instance, so destroy is blocked instead);
      - an ``RdsAccount`` (type Normal, not the privileged account), the database, and the
        account's ``DBOwner`` privilege on that database only;
      - unless a password is given (``password`` or ``dbPassword``), a
        ``random.RandomPassword`` ``<name>-password`` for that account: 24 characters with at
        least two each of lowercase, uppercase, digits and ``!#$%^&*()_+-=`` (a secret);
      - optionally the FC service-linked role (``fc_service_linked_role``).

    ``connect(fn)`` puts ``fn`` in the network and injects what its driver reads
    (``cloudfn.drivers.postgres``). ``native`` exposes the cloud resources.
    """

    def __init__(
        self, name: str, args: PgDatabaseArgs | None = None, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        app = Application.current()
        args = args or PgDatabaseArgs()
        validate_name("PgDatabase", name)
        # The configured ``dbPassword`` was checked by settings.load(), before any resource.
        password: pulumi.Output[str] | None = None
        if args.password is not None:
            password = pulumi.Output.secret(args.password)
        elif app.settings.db_password is not None:
            password = pulumi.Output.secret(app.settings.db_password)
            app.used_settings.add("dbPassword")
        if isinstance(args.password, str):  # a plain value given in code: same rule as dbPassword
            check_password(f"database '{name}' password", args.password)
        validate(name, args)
        backend: DatabaseBackend = app.backend("PgDatabase")
        # Zone and class look-ups (invokes, no resources) can still fail cleanly here.
        plan = backend.prepare(name, args, app)
        super().__init__(TYPE, name, None, opts)

        self.logical_name = name
        self.cloud = app.cloud
        self.args = args
        self.plan = plan
        self._connected: set[str] = set()
        self._app = app
        self.native = backend.create(self, name, args, app, password, plan, _new_function)
        self.host: pulumi.Output[str] = self.native.host
        self.port: pulumi.Output[str] = self.native.port
        self.database_name = args.database_name
        self.user = args.user
        app.register_outputs_at_end(self, {"host": self.host, "port": self.port, "database": args.database_name})

    @property
    def functions(self) -> dict[str, pulumi.Output[str]]:
        """Functions this component deploys itself (AWS: the admin step), by logical name."""
        return self.native.functions

    def connect(self, fn: ServerlessFunction, binding: str | None = None) -> None:
        """Let ``fn`` use this database.

        Both clouds: ``fn`` runs inside the database's network and gets the settings
        ``DB_<BINDING>_HOST``, ``_PORT``, ``_NAME``, ``_USER``, ``_SSLMODE`` (binding defaults to
        the database's name).
        AWS: ``vpc_config`` (the private subnets, the ``functions`` security group); the ENI
        permissions (``network.attach``); ``rds-db:connect`` on this instance's ``user`` only
        (``arn:aws:rds-db:<region>:<account>:dbuser:<DbiResourceId>/<user>``); ``_AUTH=iam``:
        the driver signs a 15-minute IAM token per connection, so the function holds no
        password; TLS required (``sslmode=require``). The function is created after the
        admin step has created its login.
        Alibaba Cloud: FC 3.0 ``vpc_config`` {vpc_id, vswitch_ids, security_group_id} (FC's own
        service-linked role creates the ENIs; the function role needs nothing); the password as
        ``DB_<BINDING>_PASSWORD``, a Pulumi secret, in the function's environment (FC encrypts
        it at rest; KMS secrets would need a paid dedicated KMS instance).
        """
        self._app.require_open(f"database '{self.logical_name}' connect({function_label(fn)})")
        if not isinstance(fn, ServerlessFunction):
            raise invalid(f"database '{self.logical_name}' connect", fn, "a ServerlessFunction")
        binding = binding or self.logical_name
        validate_name("PgDatabase binding", binding)
        if fn.logical_name in self._connected:
            raise pulumi.RunError(
                f"function '{fn.logical_name}' is already connected to database '{self.logical_name}'"
            )
        self._connected.add(fn.logical_name)
        for grant in self.native.grants():
            fn.grant(grant)
        fn.add_settings(self.native.connection_settings(binding))
        fn.attach_vpc(self.native.vpc_config(fn))
