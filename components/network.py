"""Address plans for the private networks components create (a leaf module)."""

from __future__ import annotations

import ipaddress


def subnets(cidr: str, count: int) -> list[str]:
    """The first ``count`` sixteenths of the network (one per AZ / vswitch)."""
    net = ipaddress.ip_network(cidr)
    return [str(s) for s in list(net.subnets(prefixlen_diff=4))[:count]]
