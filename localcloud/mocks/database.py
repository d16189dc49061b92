"""Provider-computed outputs and look-ups of PgDatabase's resources, shaped like the real ones."""

from __future__ import annotations

import json
from typing import Any

AWS_ZONES = ["us-east-1a", "us-east-1b", "us-east-1c"]
FC_ZONES = ["cn-hangzhou-h", "cn-hangzhou-i", "cn-hangzhou-k"]
RDS_ZONES = ["cn-hangzhou-b", "cn-hangzhou-i", "cn-hangzhou-j", "cn-hangzhou-k"]
# get_instance_classes(sorted_by="Price"): cheapest first.
PG_CLASSES = ["pg.n2.1c.1m", "pg.n2.2c.1m", "pg.n4.2c.1m"]


def _rds_instance(i: dict[str, Any], n: str, r: str, a: str) -> dict[str, Any]:
    ident = i.get("identifier", n)
    out: dict[str, Any] = {
        "arn": f"arn:aws:rds:{r}:{a}:db:{ident}",
        "address": f"{ident}.c9akciq32example.{r}.rds.amazonaws.com",
        "endpoint": f"{ident}.c9akciq32example.{r}.rds.amazonaws.com:5432",
        "resourceId": "db-ABCDEFGHIJKLMNOPQRSTUVWXYZ",
    }
    if i.get("manageMasterUserPassword"):
        out["masterUserSecrets"] = [
            {
                "secretArn": f"arn:aws:secretsmanager:{r}:{a}:secret:rds!db-0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0-AbCdEf",  # noqa: E501
                "kmsKeyId": f"arn:aws:kms:{r}:{a}:key/aws-secretsmanager",
                "secretStatus": "active",
            }
        ]
    return out


def _random_password(i: dict[str, Any], n: str, r: str, a: str) -> dict[str, Any]:
    """What the random provider does: the minimum of each class, then any allowed character."""
    import random
    import string

    classes = [
        (string.ascii_lowercase, i.get("lower", True), i.get("minLower", 0)),
        (string.ascii_uppercase, i.get("upper", True), i.get("minUpper", 0)),
        (string.digits, i.get("numeric", True), i.get("minNumeric", 0)),
        (i.get("overrideSpecial", "!@#$%&*()-_=+[]{}<>:?"), i.get("special", True), i.get("minSpecial", 0)),
    ]
    rng = random.Random(n)  # deterministic per resource name
    chars = [rng.choice(pool) for pool, on, least in classes if on for _ in range(int(least))]
    allowed = "".join(pool for pool, on, _ in classes if on)
    chars += [rng.choice(allowed) for _ in range(int(i["length"]) - len(chars))]
    rng.shuffle(chars)
    return {"result": "".join(chars), "bcryptHash": "$2a$10$mockmockmockmockmockmu"}


OUTPUTS = {
    "random:index/randomPassword:RandomPassword": _random_password,
    "aws:ec2/vpc:Vpc": lambda i, n, r, a: {"arn": f"arn:aws:ec2:{r}:{a}:vpc/vpc-{n}"},
    "aws:ec2/subnet:Subnet": lambda i, n, r, a: {"arn": f"arn:aws:ec2:{r}:{a}:subnet/subnet-{n}"},
    "aws:ec2/securityGroup:SecurityGroup": lambda i, n, r, a: {"arn": f"arn:aws:ec2:{r}:{a}:security-group/sg-{n}"},
    "aws:rds/subnetGroup:SubnetGroup": lambda i, n, r, a: {"arn": f"arn:aws:rds:{r}:{a}:subgrp:{i.get('name', n)}"},
    "aws:rds/instance:Instance": _rds_instance,
    "aws:secretsmanager/secret:Secret": lambda i, n, r, a: {
        "arn": f"arn:aws:secretsmanager:{r}:{a}:secret:{i.get('name', n)}-XyZ123",
    },
    # What pg_admin returns (the provider stores the function's response as ``result``).
    "aws:lambda/invocation:Invocation": lambda i, n, r, a: {
        "result": json.dumps({**json.loads(i["input"]), "created": True, "loginWith": "rds_iam"}),
    },
    "aws:ec2/vpcEndpoint:VpcEndpoint": lambda i, n, r, a: {"arn": f"arn:aws:ec2:{r}:{a}:vpc-endpoint/vpce-{n}"},
    "alicloud:rds/instance:Instance": lambda i, n, r, a: {
        "connectionString": f"pgm-bp1{n.replace('-', '')}.pg.rds.aliyuncs.com",
        "port": "5432",
    },
    "alicloud:resourcemanager/serviceLinkedRole:ServiceLinkedRole": lambda i, n, r, a: {
        "roleName": "AliyunServiceRoleForFC",
        "arn": f"acs:ram::{a}:role/aliyunserviceroleforfc",
    },
}

CALLS = {
    "aws:index/getAvailabilityZones:getAvailabilityZones": lambda args: {
        "id": "us-east-1",
        "names": list(AWS_ZONES),
        "zoneIds": ["use1-az1", "use1-az2", "use1-az4"],
        "groupNames": ["us-east-1"],
        "state": "available",
    },
    "alicloud:fc/getZones:getZones": lambda args: {
        "id": "fc-zones",
        "ids": list(FC_ZONES),
        "zones": [{"id": z} for z in FC_ZONES],
    },
    "alicloud:rds/getZones:getZones": lambda args: {
        "id": "rds-zones",
        "ids": list(RDS_ZONES),
        "zones": [{"id": z, "multiZoneIds": []} for z in RDS_ZONES],
    },
    "alicloud:rds/getInstanceClasses:getInstanceClasses": lambda args: {
        "id": "classes",
        "ids": list(PG_CLASSES),
        "instanceClasses": [
            {
                "instanceClass": c,
                "price": str(i + 1),
                "storageRanges": [{"min": "20", "max": "2000", "step": "5"}],
                "zoneIds": [{"id": args.get("zoneId", ""), "subZoneIds": []}],
            }
            for i, c in enumerate(PG_CLASSES)
        ],
    },
}
