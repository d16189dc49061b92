"""PgDatabase under Pulumi mocks, on both clouds: private network, rules, wiring, secrets."""

from __future__ import annotations

from typing import Any

import pulumi
import pytest
from mock_outputs import database as mocked
from pulumi_harness import ACCOUNT, CALLS, Deployment, deploy, is_secret, resolve, resources_of

from components.database import PgDatabase, PgDatabaseArgs
from components.function import FunctionArgs, ServerlessFunction
from localcloud.program import SIG_KEY as SECRET_SIG  # the wire key that marks a secret value

PASSWORD = "Sup3r-Secret_42"
MANAGED_SECRET = (
    "arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!db-0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0-AbCdEf"
)


def _program(box: dict[str, Any], args: PgDatabaseArgs | None = None):  # type: ignore[no-untyped-def]
    def program(app: Any) -> None:
        db = PgDatabase("tasks", args or PgDatabaseArgs(database_name="outpgbase", user="outpguser"))
        fn = ServerlessFunction("outpg", FunctionArgs(code="output_postgresql"))
        db.connect(fn)
        box.update(db=db, fn=fn, app=app)

    return program


def run(cloud: str, args: PgDatabaseArgs | None = None, **config: Any) -> tuple[Deployment, dict[str, Any]]:
    if cloud == "ali":
        config.setdefault("dbPassword", PASSWORD)
    box: dict[str, Any] = {}
    d = deploy(cloud, _program(box, args), {k: v for k, v in config.items() if v is not None} or None)
    return d, box


def is_wire_secret(value: Any) -> bool:
    return isinstance(value, dict) and SECRET_SIG in value


def types(d: Deployment) -> set[str]:
    return {r.type for r in d.resources}


# -- nothing public ------------------------------------------------------------------------
def test_aws_nothing_is_reachable_from_the_internet() -> None:
    d, _ = run("aws")
    assert not types(d) & {
        "aws:ec2/internetGateway:InternetGateway",
        "aws:ec2/natGateway:NatGateway",
        "aws:ec2/eip:Eip",
        "aws:ec2/route:Route",
        "aws:ec2/routeTable:RouteTable",
        "aws:ec2/egressOnlyInternetGateway:EgressOnlyInternetGateway",
    }
    db = d.one("aws:rds/instance:Instance", "tasks")
    assert db.inputs["publiclyAccessible"] is False
    for subnet in d.of_type("aws:ec2/subnet:Subnet"):
        assert subnet.inputs["mapPublicIpOnLaunch"] is False
    # No rule anywhere admits or reaches an address range: only security-group references.
    for rule in d.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule") + d.of_type(
        "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
    ):
        assert "cidrIpv4" not in rule.inputs and "cidrIpv6" not in rule.inputs
    for sg in d.of_type("aws:ec2/securityGroup:SecurityGroup"):
        assert not sg.inputs.get("ingress") and not sg.inputs.get("egress")


def test_ali_nothing_is_reachable_from_the_internet() -> None:
    d, _ = run("ali")
    assert "alicloud:rds/connection:Connection" not in types(d)  # no public endpoint
    assert "alicloud:vpc/natGateway:NatGateway" not in types(d)
    assert d.one("alicloud:rds/instance:Instance").inputs["securityIps"] == ["10.20.0.0/20"]
    # The functions' security group admits nothing.
    assert "alicloud:ecs/securityGroupRule:SecurityGroupRule" not in types(d)


# -- AWS -----------------------------------------------------------------------------------
def test_aws_vpc_has_private_subnets_in_two_zones() -> None:
    d, _ = run("aws")
    vpc = d.one("aws:ec2/vpc:Vpc", "tasks-vpc")
    assert vpc.inputs["cidrBlock"] == "10.20.0.0/16"
    assert vpc.inputs["enableDnsSupport"] is True and vpc.inputs["enableDnsHostnames"] is True
    subnets = sorted(d.of_type("aws:ec2/subnet:Subnet"), key=lambda r: r.name)
    assert [(s.name, s.inputs["availabilityZone"], s.inputs["cidrBlock"], s.inputs["vpcId"]) for s in subnets] == [
        ("tasks-private-1", "us-east-1a", "10.20.0.0/20", "tasks-vpc-id"),
        ("tasks-private-2", "us-east-1b", "10.20.16.0/20", "tasks-vpc-id"),
    ]
    zones_call = [a for t, a in d.calls if t == "aws:index/getAvailabilityZones:getAvailabilityZones"]
    opt_in = [{"name": "opt-in-status", "values": ["opt-in-not-required"]}]
    assert zones_call == [{"state": "available", "filters": opt_in}]
    group = d.one("aws:rds/subnetGroup:SubnetGroup")
    assert group.inputs["subnetIds"] == ["tasks-private-1-id", "tasks-private-2-id"]


def test_aws_security_group_rules_are_exactly_these() -> None:
    d, _ = run("aws")
    rules = sorted(
        (
            r.type.rsplit(":", 1)[1],
            r.inputs["securityGroupId"],
            r.inputs["referencedSecurityGroupId"],
            r.inputs["ipProtocol"],
            r.inputs["fromPort"],
            r.inputs["toPort"],
        )
        for r in d.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
        + d.of_type("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule")
    )
    assert rules == [
        ("SecurityGroupEgressRule", "tasks-admin-id", "tasks-db-id", "tcp", 5432, 5432),
        ("SecurityGroupEgressRule", "tasks-admin-id", "tasks-endpoints-id", "tcp", 443, 443),
        ("SecurityGroupEgressRule", "tasks-functions-id", "tasks-db-id", "tcp", 5432, 5432),
        ("SecurityGroupIngressRule", "tasks-db-id", "tasks-admin-id", "tcp", 5432, 5432),
        ("SecurityGroupIngressRule", "tasks-db-id", "tasks-functions-id", "tcp", 5432, 5432),
        ("SecurityGroupIngressRule", "tasks-endpoints-id", "tasks-admin-id", "tcp", 443, 443),
    ]
    # No inline rules anywhere (they would also keep AWS's default allow-all egress).
    for group in d.of_type("aws:ec2/securityGroup:SecurityGroup"):
        assert not group.inputs.get("ingress") and not group.inputs.get("egress"), group.name
    db = d.one("aws:rds/instance:Instance", "tasks")
    assert db.inputs["vpcSecurityGroupIds"] == ["tasks-db-id"]


def test_aws_instance_settings() -> None:
    d, box = run("aws")
    db = d.one("aws:rds/instance:Instance", "tasks")
    suffix = box["app"].names.suffix
    expected = {
        "identifier": f"tasks-{suffix}",
        "engine": "postgres",
        "engineVersion": "17",
        "engineLifecycleSupport": "open-source-rds-extended-support-disabled",
        "instanceClass": "db.t4g.micro",
        "allocatedStorage": 20,
        "storageType": "gp3",
        "storageEncrypted": True,
        "dbName": "outpgbase",
        "username": "dbadmin",  # the master: only the admin step logs in with it
        "iamDatabaseAuthenticationEnabled": True,
        "port": 5432,
        "dbSubnetGroupName": f"tasks-{suffix}",
        "publiclyAccessible": False,
        "backupRetentionPeriod": 7,
        "deletionProtection": True,
        "skipFinalSnapshot": False,
        "finalSnapshotIdentifier": f"tasks-{suffix}-final",
        "deleteAutomatedBackups": False,
        "manageMasterUserPassword": True,
    }
    assert {k: db.inputs.get(k) for k in expected} == expected
    assert "password" not in db.inputs  # RDS generates it: nothing in config or state


def test_aws_throwaway_turns_protection_off() -> None:
    d, _ = run("aws", PgDatabaseArgs(throwaway=True, engine_version="16"))
    db = d.one("aws:rds/instance:Instance", "tasks")
    assert (
        db.inputs["deletionProtection"],
        db.inputs["skipFinalSnapshot"],
        db.inputs.get("finalSnapshotIdentifier"),
        db.inputs["engineVersion"],
    ) == (False, True, None, "16")


NETWORK_ATTACH = {
    "Sid": "NetworkAttach",
    "Effect": "Allow",
    "Action": [
        "ec2:CreateNetworkInterface",
        "ec2:DescribeNetworkInterfaces",
        "ec2:DescribeSubnets",
        "ec2:DeleteNetworkInterface",
        "ec2:AssignPrivateIpAddresses",
        "ec2:UnassignPrivateIpAddresses",
    ],
    "Resource": ["*"],
}


def test_aws_function_joins_the_vpc_and_logs_in_as_its_own_iam_user() -> None:
    d, box = run("aws")
    fn = d.one("aws:lambda/function:Function", "outpg")
    assert fn.inputs["vpcConfig"] == {
        "subnetIds": ["tasks-private-1-id", "tasks-private-2-id"],
        "securityGroupIds": ["tasks-functions-id"],
    }
    policy = d.one("aws:iam/rolePolicy:RolePolicy", "outpg-grants").json("policy")
    assert policy["Statement"] == [
        NETWORK_ATTACH,
        {
            "Sid": "DbConnect",
            "Effect": "Allow",
            "Action": ["rds-db:connect"],
            # One database user of this instance (its DbiResourceId), not the master.
            "Resource": [f"arn:aws:rds-db:us-east-1:{ACCOUNT['aws']}:dbuser:db-ABCDEFGHIJKLMNOPQRSTUVWXYZ/outpguser"],
        },
    ]
    host = f"tasks-{box['app'].names.suffix}.c9akciq32example.us-east-1.rds.amazonaws.com"
    assert fn.inputs["environment"]["variables"] == {
        "DB_TASKS_HOST": host,
        "DB_TASKS_PORT": "5432",
        "DB_TASKS_NAME": "outpgbase",
        "DB_TASKS_USER": "outpguser",
        "DB_TASKS_AUTH": "iam",
        "DB_TASKS_SSLMODE": "require",
        "CLOUDFN_CLOUD": "aws",
    }
    assert not is_secret(box["fn"].native.function.environment)  # no password in it on AWS
    # The function waits for its login: its user setting comes through the admin step's result.
    assert box["db"].native.login_setup in resources_of(box["fn"]._settings["DB_TASKS_USER"])


def test_aws_admin_step_creates_the_login_from_inside_the_vpc() -> None:
    d, box = run("aws")
    suffix = box["app"].names.suffix
    admin = d.one("aws:lambda/function:Function", "tasks-admin")
    assert admin.inputs["handler"] == "entry_aws.handler"
    assert admin.inputs["vpcConfig"] == {
        "subnetIds": ["tasks-private-1-id", "tasks-private-2-id"],
        "securityGroupIds": ["tasks-admin-id"],
    }
    host = f"tasks-{suffix}.c9akciq32example.us-east-1.rds.amazonaws.com"
    assert admin.inputs["environment"]["variables"] == {
        "DB_ADMIN_HOST": host,
        "DB_ADMIN_PORT": "5432",
        "DB_ADMIN_NAME": "outpgbase",
        "DB_ADMIN_USER": "dbadmin",
        "DB_ADMIN_SSLMODE": "require",
        "DB_ADMIN_SECRET_ARN": MANAGED_SECRET,
        "CLOUDFN_CLOUD": "aws",
    }
    policy = d.one("aws:iam/rolePolicy:RolePolicy", "tasks-admin-grants").json("policy")
    assert policy["Statement"] == [
        NETWORK_ATTACH,
        {
            "Sid": "SecretRead",
            "Effect": "Allow",
            "Action": ["secretsmanager:GetSecretValue"],
            "Resource": [MANAGED_SECRET],
        },
    ]
    login = d.one("aws:lambda/invocation:Invocation", "tasks-login")
    assert login.inputs["functionName"] == f"tasks-admin-{suffix}"
    assert login.json("input") == {"user": "outpguser", "database": "outpgbase"}
    assert login.inputs["triggers"] == {"instance": "db-ABCDEFGHIJKLMNOPQRSTUVWXYZ"}
    assert "lifecycleScope" not in login.inputs  # CREATE_ONLY: run on create and on replacement
    # The admin step has no internet: the secret is reached through an interface endpoint that
    # only its role may use, and only for the master secret.
    ep = d.one("aws:ec2/vpcEndpoint:VpcEndpoint")
    assert {
        k: ep.inputs[k]
        for k in ("serviceName", "vpcEndpointType", "privateDnsEnabled", "subnetIds", "securityGroupIds", "vpcId")
    } == {
        "serviceName": "com.amazonaws.us-east-1.secretsmanager",
        "vpcEndpointType": "Interface",
        "privateDnsEnabled": True,
        "subnetIds": ["tasks-private-1-id", "tasks-private-2-id"],
        "securityGroupIds": ["tasks-endpoints-id"],
        "vpcId": "tasks-vpc-id",
    }
    role = d.one("aws:iam/role:Role", "tasks-admin-role")
    assert ep.json("policy")["Statement"] == [
        {
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT['aws']}:role/{role.inputs['name']}"},
            "Action": ["secretsmanager:GetSecretValue"],
            "Resource": [MANAGED_SECRET],
        }
    ]


def test_aws_configured_password_is_secret_everywhere() -> None:
    d, box = run("aws", dbPassword=PASSWORD)
    db = d.one("aws:rds/instance:Instance", "tasks")
    assert is_wire_secret(db.inputs["password"]) and db.inputs["password"]["value"] == PASSWORD
    assert "manageMasterUserPassword" not in db.inputs
    version = d.one("aws:secretsmanager/secretVersion:SecretVersion")
    assert is_wire_secret(version.inputs["secretString"])
    assert is_secret(box["db"].native.secret_version.secret_string)
    assert resolve(box["db"].native.secret_version.secret_string) == (
        '{"username": "dbadmin", "password": "Sup3r-Secret_42"}'
    )
    secret = d.one("aws:secretsmanager/secret:Secret")
    arn = f"arn:aws:secretsmanager:us-east-1:{ACCOUNT['aws']}:secret:{secret.inputs['name']}-XyZ123"
    policy = d.one("aws:iam/rolePolicy:RolePolicy", "tasks-admin-grants").json("policy")
    assert policy["Statement"][1]["Resource"] == [arn]
    admin_env = d.one("aws:lambda/function:Function", "tasks-admin").inputs["environment"]["variables"]
    assert admin_env["DB_ADMIN_SECRET_ARN"] == arn
    # Connected functions never see the master password, nor the secret.
    fn_env = d.one("aws:lambda/function:Function", "outpg").inputs["environment"]["variables"]
    assert PASSWORD not in str(fn_env) and "DB_TASKS_SECRET_ARN" not in fn_env
    assert secret.inputs["recoveryWindowInDays"] == 7


# -- Alibaba Cloud ---------------------------------------------------------------------------
def test_ali_zone_is_offered_by_both_fc_and_rds() -> None:
    d, _ = run("ali")
    common = sorted(set(mocked.FC_ZONES) & set(mocked.RDS_ZONES))
    vsw = d.one("alicloud:vpc/switch:Switch")
    assert (vsw.inputs["zoneId"], vsw.inputs["cidrBlock"], vsw.inputs["vpcId"]) == (
        common[0],
        "10.20.0.0/20",
        "tasks-vpc-id",
    )
    rds_zone_call = [a for t, a in d.calls if t == "alicloud:rds/getZones:getZones"]
    assert rds_zone_call == [
        {
            "engine": "PostgreSQL",
            "engineVersion": "17.0",
            "category": "Basic",
            "dbInstanceStorageType": "cloud_essd",
            "instanceChargeType": "PostPaid",
        }
    ]
    assert d.one("alicloud:vpc/network:Network").inputs["cidrBlock"] == "10.20.0.0/16"
    sg = d.one("alicloud:ecs/securityGroup:SecurityGroup")
    assert sg.inputs["vpcId"] == "tasks-vpc-id"


def test_ali_instance_account_database_privilege() -> None:
    d, box = run("ali")
    inst = d.one("alicloud:rds/instance:Instance", "tasks")
    expected = {
        "engine": "PostgreSQL",
        "engineVersion": "17.0",
        "instanceType": mocked.PG_CLASSES[0],
        "instanceStorage": 20,
        "dbInstanceStorageType": "cloud_essd",
        "category": "Basic",
        "instanceChargeType": "Postpaid",
        "zoneId": "cn-hangzhou-i",
        "vswitchId": "tasks-vswitch-id",
        "vpcId": "tasks-vpc-id",
        "securityIps": ["10.20.0.0/20"],
        "deletionProtection": True,
        "releasedKeepPolicy": None,  # MySQL-only: on PostgreSQL it would keep nothing
        "sslAction": "Open",  # encryption in transit, as RDS enforces on AWS
        "caType": "aliyun",
    }
    assert {k: inst.inputs.get(k) for k in expected} == expected
    backups = d.one("alicloud:rds/backupPolicy:BackupPolicy")
    assert backups.inputs["backupRetentionPeriod"] == 7 and len(backups.inputs["preferredBackupPeriods"]) == 7
    account = d.one("alicloud:rds/rdsAccount:RdsAccount")
    assert (account.inputs["accountName"], account.inputs["accountType"], account.inputs["dbInstanceId"]) == (
        "outpguser",
        "Normal",
        "tasks-id",
    )
    assert is_wire_secret(account.inputs["accountPassword"])
    assert is_secret(box["db"].native.account.account_password)
    database = d.one("alicloud:rds/database:Database")
    assert (database.inputs["dataBaseName"], database.inputs["instanceId"]) == ("outpgbase", "tasks-id")
    privilege = d.one("alicloud:rds/accountPrivilege:AccountPrivilege")
    assert privilege.inputs == {
        "instanceId": "tasks-id",
        "accountName": "outpguser",
        "dbNames": ["outpgbase"],
        "privilege": "DBOwner",
    }


def _protected(box: dict[str, Any]) -> list[tuple[str, bool]]:
    native = box["db"].native
    held = [native.instance, native.backup_policy, native.account, native.database, native.privilege]
    return [(r._name, bool(r._protect)) for r in held]


def test_ali_destroy_cannot_release_the_instance_unless_throwaway() -> None:
    d, box = run("ali")
    inst = d.one("alicloud:rds/instance:Instance")
    assert inst.inputs["deletionProtection"] is True and "releasedKeepPolicy" not in inst.inputs
    # Pulumi refuses to delete (or replace) protected resources: destroy stops before the API.
    assert _protected(box) == [
        ("tasks", True),
        ("tasks-backups", True),
        ("tasks-account", True),
        ("tasks-database", True),
        ("tasks-privilege", True),
    ]
    # The network and the function are not data: they stay deletable.
    assert not box["db"].native.vpc._protect and not box["fn"].native.function._protect


def test_ali_throwaway_turns_protection_off() -> None:
    d, box = run("ali", PgDatabaseArgs(throwaway=True))
    inst = d.one("alicloud:rds/instance:Instance")
    assert inst.inputs["deletionProtection"] is False and "releasedKeepPolicy" not in inst.inputs
    assert [p for _, p in _protected(box)] == [False] * 5


def test_ali_function_joins_the_vpc_with_a_secret_password() -> None:
    d, box = run("ali")
    fn = d.one("alicloud:fc/v3Function:V3Function", "outpg")
    assert fn.inputs["vpcConfig"] == {
        "vpcId": "tasks-vpc-id",
        "vswitchIds": ["tasks-vswitch-id"],
        "securityGroupId": "tasks-functions-id",
    }
    env = fn.inputs["environmentVariables"]
    assert is_wire_secret(env)  # the whole map is stored encrypted in the state
    assert env["value"] == {
        "DB_TASKS_HOST": "pgm-bp1tasks.pg.rds.aliyuncs.com",
        "DB_TASKS_PORT": "5432",
        "DB_TASKS_NAME": "outpgbase",
        "DB_TASKS_USER": "outpguser",
        "DB_TASKS_PASSWORD": PASSWORD,
        "DB_TASKS_SSLMODE": "require",
        "CLOUDFN_CLOUD": "ali",
    }
    assert is_secret(box["fn"].native.function.environment_variables)
    # FC assumes the function's own role to attach it to the VPC: that role gets exactly the VPC
    # and ENI actions of FC's system policy AliyunServiceRolePolicyForFC, and nothing else.
    assert [p.name for p in d.of_type("alicloud:ram/policy:Policy")] == ["outpg-logging", "outpg-grants"]
    assert d.one("alicloud:ram/policy:Policy", "outpg-grants").json("policyDocument") == {
        "Version": "1",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": [
                    "vpc:DescribeVSwitchAttributes",
                    "vpc:DescribeVpcAttribute",
                    "ecs:CreateNetworkInterface",
                    "ecs:DeleteNetworkInterface",
                    "ecs:DescribeNetworkInterfaces",
                    "ecs:CreateNetworkInterfacePermission",
                    "ecs:DeleteNetworkInterfacePermission",
                    "ecs:DescribeNetworkInterfacePermissions",
                ],
                "Resource": ["*"],
            }
        ],
    }
    attachment = d.one("alicloud:ram/rolePolicyAttachment:RolePolicyAttachment", "outpg-grants")
    assert attachment.inputs["policyName"] == d.one("alicloud:ram/policy:Policy", "outpg-grants").inputs["policyName"]
    # FC checks those permissions when it creates the function: the VPC config waits for them.
    assert box["fn"].grant_policy in resources_of(box["fn"]._vpc["vpc_id"])
    assert "alicloud:resourcemanager/serviceLinkedRole:ServiceLinkedRole" not in types(d)


def test_ali_service_linked_role_is_opt_in_and_created_once() -> None:
    def program(app: Any) -> None:
        for name in ("one", "two"):
            db = PgDatabase(name, PgDatabaseArgs(fc_service_linked_role=True, cidr=f"10.{30 + len(name)}.0.0/16"))
            db.connect(ServerlessFunction(f"fn-{name}", FunctionArgs(code="output_postgresql")))

    d = deploy("ali", program, {"dbPassword": PASSWORD})
    role = d.one("alicloud:resourcemanager/serviceLinkedRole:ServiceLinkedRole")
    assert role.inputs["serviceName"] == "fc.aliyuncs.com"


# -- validation before any resource -------------------------------------------------------------
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (PgDatabaseArgs(engine_version="15"), "engine_version: got '15'"),
        (PgDatabaseArgs(cidr="8.8.0.0/16"), "cidr: got '8.8.0.0/16'"),
        (PgDatabaseArgs(cidr="10.0.0.0/8"), "cidr: got '10.0.0.0/8'"),
        (PgDatabaseArgs(user="postgres"), "user: got 'postgres'"),
        (PgDatabaseArgs(database_name="Tasks"), "database_name: got 'Tasks'"),
        (PgDatabaseArgs(storage_gb=10), "storage_gb: got 10"),
        (PgDatabaseArgs(backup_retention_days=1), "backup_retention_days: got 1"),
        (PgDatabaseArgs(admin_user="rdsadmin"), "admin_user: got 'rdsadmin'"),
        (PgDatabaseArgs(user="app", admin_user="app"), "admin_user: got 'app'.*other than user 'app'"),
    ],
)
def test_invalid_args_fail_before_any_resource(cloud: str, args: PgDatabaseArgs, message: str) -> None:
    box: dict[str, Any] = {}
    with pytest.raises(pulumi.RunError, match=message):
        deploy(cloud, _program(box, args), {"dbPassword": PASSWORD})
    assert "db" not in box


def test_a_name_too_long_for_the_admin_step_is_refused_on_both_clouds(cloud: str) -> None:
    def program(app: Any) -> None:
        PgDatabase("a" * 27)

    with pytest.raises(pulumi.RunError, match=r"PgDatabase name.*at most 26 characters.*-admin"):
        deploy(cloud, program, {"dbPassword": PASSWORD})


def test_weak_configured_password_is_rejected_without_echoing_it(cloud: str) -> None:
    with pytest.raises(pulumi.RunError) as err:
        deploy(cloud, _program({}), {"dbPassword": "password1"})
    assert "password1" not in str(err.value) and "<secret not shown>" in str(err.value)


def test_ali_no_common_zone_is_a_clean_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(
        CALLS,
        "alicloud:fc/getZones:getZones",
        lambda a: {"id": "x", "ids": ["cn-hangzhou-z"], "zones": [{"id": "cn-hangzhou-z"}]},
    )
    with pytest.raises(pulumi.RunError, match=r"offering both Function Compute and PostgreSQL 17\.0"):
        deploy("ali", _program({}), {"dbPassword": PASSWORD})


def test_ali_instance_class_must_be_offered() -> None:
    with pytest.raises(pulumi.RunError, match=r"instance_class: got 'pg\.x\.huge'"):
        deploy("ali", _program({}, PgDatabaseArgs(instance_class="pg.x.huge")), {"dbPassword": PASSWORD})
    d, _ = run("ali", PgDatabaseArgs(instance_class="pg.n2.2c.1m"))
    assert d.one("alicloud:rds/instance:Instance").inputs["instanceType"] == "pg.n2.2c.1m"


def test_connecting_a_function_twice_is_an_error(cloud: str) -> None:
    def program(app: Any) -> None:
        db = PgDatabase("tasks")
        fn = ServerlessFunction("outpg", FunctionArgs(code="output_postgresql"))
        db.connect(fn)
        db.connect(fn)

    with pytest.raises(pulumi.RunError, match="already connected"):
        deploy(cloud, program, {"dbPassword": PASSWORD})


def test_sample_passes_the_throwaway_switch(cloud: str) -> None:
    from samples import output_postgresql

    config = {"throwaway": "true", "dbPassword": PASSWORD}
    d = deploy(cloud, output_postgresql.build, config)
    token = "aws:rds/instance:Instance" if cloud == "aws" else "alicloud:rds/instance:Instance"
    assert d.one(token).inputs["deletionProtection"] is False
    assert resolve(d.outputs["db_host"])


def test_stack_outputs_name_every_function_the_sample_runs(cloud: str) -> None:
    from samples import compose

    d = deploy(cloud, compose, {"samples": ["output_postgresql"], "dbPassword": PASSWORD})
    names = {k: resolve(v) for k, v in d.outputs["functions"].items()}
    token = "aws:lambda/function:Function" if cloud == "aws" else "alicloud:fc/v3Function:V3Function"
    deployed = sorted(r.inputs["name" if cloud == "aws" else "functionName"] for r in d.of_type(token))
    assert sorted(names.values()) == deployed
    expected = (
        {"output_postgresql.outpg", "output_postgresql.tasks-admin"} if cloud == "aws" else {"output_postgresql.outpg"}
    )
    assert set(names) == expected


def _plain_occurrences(value: Any, needle: str, path: str = "") -> list[str]:
    """Where ``needle`` appears in ``value`` outside a secret (wire-secret dicts are skipped)."""
    if is_wire_secret(value):
        return []
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _plain_occurrences(v, needle, f"{path}.{k}")]
    if isinstance(value, (list, tuple)):
        return [p for i, v in enumerate(value) for p in _plain_occurrences(v, needle, f"{path}[{i}]")]
    return [path] if needle in str(value) else []


def _secret_occurrences(value: Any, needle: str, path: str = "") -> list[str]:
    if is_wire_secret(value):
        return [path] if needle in str(value) else []
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _secret_occurrences(v, needle, f"{path}.{k}")]
    if isinstance(value, (list, tuple)):
        return [p for i, v in enumerate(value) for p in _secret_occurrences(v, needle, f"{path}[{i}]")]
    return []


# Where a password reaches on each stack (resource type, input): at least these, and all secret.
PASSWORD_REACHES = {
    "aws": {
        ("aws:rds/instance:Instance", ".password"),
        ("aws:secretsmanager/secretVersion:SecretVersion", ".secretString"),
    },
    "ali": {
        ("alicloud:rds/rdsAccount:RdsAccount", ".accountPassword"),
        ("alicloud:fc/v3Function:V3Function", ".environmentVariables"),
    },
}


def test_a_password_given_in_the_args_is_secret_in_every_input_it_reaches(cloud: str) -> None:
    args = PgDatabaseArgs(database_name="outpgbase", user="outpguser", password="Args-Passw0rd_77")
    d, _ = run(cloud, args, dbPassword=None)  # no config password: the args' one is used
    plain = [(r.type, r.name, p) for r in d.resources for p in _plain_occurrences(r.inputs, "Args-Passw0rd_77")]
    assert plain == []
    reached = {(r.type, p) for r in d.resources for p in _secret_occurrences(r.inputs, "Args-Passw0rd_77")}
    assert reached == PASSWORD_REACHES[cloud]
