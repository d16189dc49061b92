"""Alibaba Cloud resource names (ARNs) and endpoints the program computes up front.

Region and account are plain strings here, so ARNs are known before anything is registered.
"""

from __future__ import annotations


def oss_bucket(account: str, name: str) -> str:
    # RAM resource form; OSS docs write the region segment as "*" (bucket names are global).
    return f"acs:oss:*:{account}:{name}"


def oss_source(region: str, account: str, name: str) -> str:
    """An OSS trigger's ``source_arn``, which names the bucket's region."""
    return f"acs:oss:{region}:{account}:{name}"


def oss_internal_endpoint(region: str) -> str:
    # From FC, the internal endpoint: no internet traffic charges, and it is not subject to
    # the 2025 restriction on data access through the default public endpoints.
    return f"oss-{region}-internal.aliyuncs.com"


def mns_queue(region: str, account: str, queue: str) -> str:
    """The RAM resource of an MNS queue (``/messages`` appended for message operations)."""
    return f"acs:mns:{region}:{account}:/queues/{queue}"


def mns_topic(region: str, account: str, topic: str) -> str:
    """The RAM resource (and trigger source ARN) of an MNS topic."""
    return f"acs:mns:{region}:{account}:/topics/{topic}"


def mns_endpoint(account: str, region: str) -> str:
    # The public endpoint: FC functions have internet access by default; the "-internal" form
    # is not documented for FC 3.0 without a VPC.
    return f"https://{account}.mns.{region}.aliyuncs.com"


def logstore(region: str, account: str, project: str, logstore: str) -> str:
    return f"acs:log:{region}:{account}:project/{project}/logstore/{logstore}"
