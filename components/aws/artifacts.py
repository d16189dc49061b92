"""S3 backend of the artifact store, and Lambda's code inputs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pulumi
import pulumi_aws as aws

if TYPE_CHECKING:
    from components.content import CodeArtifact


def direct_code(code: CodeArtifact) -> dict[str, Any]:
    """Within the direct-upload limit: a FileArchive (the state keeps its hash, not its bytes)."""
    return {"code": pulumi.FileArchive(code.source), "source_code_hash": code.sha256_b64}


@dataclass
class AwsArtifactBucket:
    bucket: aws.s3.Bucket
    encryption: aws.s3.BucketServerSideEncryptionConfiguration
    public_access_block: aws.s3.BucketPublicAccessBlock
    ownership: aws.s3.BucketOwnershipControls
    keep: bool

    @property
    def bucket_name(self) -> pulumi.Output[str]:
        return self.bucket.bucket

    def function_code(self, fn: pulumi.Resource, name: str, code: CodeArtifact) -> dict[str, Any]:
        obj = aws.s3.BucketObjectv2(
            name,
            bucket=self.bucket.bucket,
            key=code.key,
            source=pulumi.FileAsset(code.source),
            # Only kept in the state: a changed hash is a changed zip (the key changes with it).
            source_hash=code.sha256_hex,
            # S3 checks the body it receives against the checksum the provider sends with it.
            checksum_algorithm="SHA256",
            content_type="application/zip",
            server_side_encryption="AES256",
            opts=pulumi.ResourceOptions(
                parent=fn,
                depends_on=[self.encryption, self.public_access_block, self.ownership],
                # A new zip is a new key, and the key forces a replacement. Create-before-delete
                # (Pulumi's default, stated here so nobody flips it): the new object exists, the
                # function moves to it, and only then is the old object deleted, so the function
                # never points at a missing object.
                delete_before_replace=False,
                retain_on_delete=self.keep,
            ),
        )
        return {"s3_bucket": obj.bucket, "s3_key": obj.key, "source_code_hash": code.sha256_b64}


def create_bucket(component: pulumi.Resource, name: str, keep: bool) -> AwsArtifactBucket:
    child = pulumi.ResourceOptions(parent=component, retain_on_delete=keep)
    bucket = aws.s3.Bucket(
        "artifacts",
        bucket=name,
        # The zips are rebuilt from the code; unless told to keep them, destroy empties the bucket.
        force_destroy=not keep,
        opts=child,
    )
    opts = pulumi.ResourceOptions(parent=bucket)
    # One sub-resource after the other: S3 answers OperationAborted to concurrent changes.
    encryption = aws.s3.BucketServerSideEncryptionConfiguration(
        "artifacts-encryption",
        bucket=bucket.bucket,
        rules=[{"apply_server_side_encryption_by_default": {"sse_algorithm": "AES256"}}],
        opts=opts,
    )
    block = aws.s3.BucketPublicAccessBlock(
        "artifacts-public-access-block",
        bucket=bucket.bucket,
        block_public_acls=True,
        block_public_policy=True,
        ignore_public_acls=True,
        restrict_public_buckets=True,
        opts=pulumi.ResourceOptions(parent=bucket, depends_on=[encryption]),
    )
    ownership = aws.s3.BucketOwnershipControls(
        "artifacts-ownership",
        bucket=bucket.bucket,
        rule={"object_ownership": "BucketOwnerEnforced"},
        opts=pulumi.ResourceOptions(parent=bucket, depends_on=[block]),
    )
    return AwsArtifactBucket(
        bucket=bucket, encryption=encryption, public_access_block=block, ownership=ownership, keep=keep
    )


class S3ArtifactBackend:
    """``ArtifactBackend`` on S3 and Lambda."""

    create_bucket = staticmethod(create_bucket)
    direct_code = staticmethod(direct_code)


BACKEND = S3ArtifactBackend()
