"""The private network of an RDS database: VPC, private subnets, security groups and their rules.

No internet gateway, NAT or route out; every path between the groups is listed in one table.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pulumi
import pulumi_aws as aws

from components.network import subnets

if TYPE_CHECKING:
    from components.app import Application
    from components.database import PgDatabaseArgs
    from components.function import ServerlessFunction

PORT = 5432


@dataclass
class Network:
    vpc: aws.ec2.Vpc
    subnets: list[aws.ec2.Subnet]
    db: aws.ec2.SecurityGroup
    functions: aws.ec2.SecurityGroup
    admin: aws.ec2.SecurityGroup
    endpoints: aws.ec2.SecurityGroup
    rules: list[Any]

    @property
    def subnet_ids(self) -> list[pulumi.Output[str]]:
        return [s.id for s in self.subnets]


def _rule(kind: str, name: str, parent: pulumi.Resource, **kwargs: Any) -> Any:
    cls = aws.vpc.SecurityGroupIngressRule if kind == "ingress" else aws.vpc.SecurityGroupEgressRule
    return cls(name, ip_protocol="tcp", opts=pulumi.ResourceOptions(parent=parent), **kwargs)


def create_network(
    name: str, args: PgDatabaseArgs, app: Application, zones: tuple[str, ...], parent: pulumi.Resource
) -> Network:
    physical = app.names.physical(name)
    vpc = aws.ec2.Vpc(
        f"{name}-vpc",
        cidr_block=args.cidr,
        # Interface endpoints with private DNS need both.
        enable_dns_support=True,
        enable_dns_hostnames=True,
        tags={"Name": physical},
        opts=pulumi.ResourceOptions(parent=parent),
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
        for i, (zone, cidr) in enumerate(zip(zones, subnets(args.cidr, len(zones))))
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
    return Network(vpc=vpc, subnets=private, db=db_sg, functions=fn_sg, admin=admin_sg, endpoints=ep_sg, rules=rules)


def vpc_config(fn: ServerlessFunction, network: Network, group: aws.ec2.SecurityGroup) -> dict[str, Any]:
    """``fn``'s ``vpc_config``: the private subnets and ``group``.

    CreateFunction with a VPC checks the role's ENI permissions: the function waits for its
    grants policy because the security group id is routed through it.
    """
    policy = fn.grant_policy
    security_group = group.id
    if policy is not None:
        security_group = pulumi.Output.all(security_group, policy.id).apply(lambda v: v[0])
    return {"subnet_ids": network.subnet_ids, "security_group_ids": [security_group]}
