"""ARNs the program can compute up front (region and account are plain strings here)."""

from __future__ import annotations


def partition(region: str) -> str:
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def log_group_streams(region: str, account: str, log_group: str) -> str:
    # LogGroup.arn has the ":*" suffix stripped; the stream-level actions need it back.
    return f"arn:{partition(region)}:logs:{region}:{account}:log-group:{log_group}:*"


def rds_db_user(region: str, account: str, resource_id: str, user: str) -> str:
    """What ``rds-db:connect`` is granted on: one database user of one instance (its DbiResourceId)."""
    return f"arn:{partition(region)}:rds-db:{region}:{account}:dbuser:{resource_id}/{user}"


def s3_bucket(region: str, name: str) -> str:
    # S3 bucket ARNs carry neither region nor account; only the partition varies.
    return f"arn:{partition(region)}:s3:::{name}"
