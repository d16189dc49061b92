"""Provider-computed outputs of the storage resources (S3 / OSS) for the Pulumi mocks."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

OUTPUTS: dict[str, Callable[[dict[str, Any], str, str, str], dict[str, Any]]] = {
    # S3's id and bucket are the bucket name; the ARN has no region or account.
    "aws:s3/bucket:Bucket": lambda i, n, r, a: {
        "arn": f"arn:aws:s3:::{i.get('bucket', n)}",
        "bucket": i.get("bucket", n),
        "bucketDomainName": f"{i.get('bucket', n)}.s3.amazonaws.com",
    },
    "aws:s3/bucketObjectv2:BucketObjectv2": lambda i, n, r, a: {"etag": "mock-etag"},
    "alicloud:oss/bucket:Bucket": lambda i, n, r, a: {
        "bucket": i.get("bucket", n),
        "extranetEndpoint": f"oss-{r}.aliyuncs.com",
        "intranetEndpoint": f"oss-{r}-internal.aliyuncs.com",
    },
}
