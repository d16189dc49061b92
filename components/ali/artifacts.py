"""OSS backend of the artifact store, and FC 3.0's code inputs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pulumi
import pulumi_alicloud as alicloud

if TYPE_CHECKING:
    from components.content import CodeArtifact


def direct_code(code: CodeArtifact) -> dict[str, Any]:  # pragma: no cover - FC code always goes through OSS
    raise NotImplementedError("FC code is always stored in OSS; the state would otherwise hold the zip")


@dataclass
class AliArtifactBucket:
    bucket: alicloud.oss.Bucket
    acl: alicloud.oss.BucketAcl
    public_access_block: alicloud.oss.BucketPublicAccessBlock
    keep: bool
    name: str

    @property
    def bucket_name(self) -> pulumi.Output[str]:
        return self.bucket.bucket

    def function_code(self, fn: pulumi.Resource, name: str, code: CodeArtifact) -> dict[str, Any]:
        obj = alicloud.oss.BucketObject(
            name,
            # The name is known up front; the dependency on the bucket (and on its ACL and
            # public-access block, which come after it) is explicit below. Plain values cost
            # the engine less than Outputs, once per function.
            bucket=self.name,
            key=code.key,
            # The provider takes a path (not an asset) and uploads the file with PutObject.
            source=code.source,
            # OSS refuses a body whose MD5 differs (InvalidDigest): a zip changed after the
            # program described it is never stored under this key.
            content_md5=code.md5_b64,
            content_type="application/zip",
            acl="private",
            server_side_encryption="AES256",
            opts=pulumi.ResourceOptions(
                parent=fn,
                depends_on=[self.public_access_block],
                # A new zip is a new key, and the key forces a replacement. Create-before-delete
                # (Pulumi's default, stated here so nobody flips it): the new object exists, the
                # function moves to it, and only then is the old object deleted, so the function
                # never points at a missing object.
                delete_before_replace=False,
                retain_on_delete=self.keep,
            ),
        )
        return {
            "code": {
                "oss_bucket_name": self.name,
                # An Output of the object: the function waits until it is uploaded.
                "oss_object_name": obj.key,
                # FC compares the object it fetches with this CRC-64 (OSS's crc64ecma).
                "checksum": code.crc64,
            }
        }


def create_bucket(component: pulumi.Resource, name: str, keep: bool) -> AliArtifactBucket:
    bucket = alicloud.oss.Bucket(
        "artifacts",
        bucket=name,
        storage_class="Standard",
        server_side_encryption_rule={"sse_algorithm": "AES256"},
        # The zips are rebuilt from the code; unless told to keep them, destroy empties the bucket.
        force_destroy=not keep,
        opts=pulumi.ResourceOptions(parent=component, retain_on_delete=keep),
    )
    acl = alicloud.oss.BucketAcl(
        "artifacts-acl", bucket=bucket.bucket, acl="private", opts=pulumi.ResourceOptions(parent=bucket)
    )
    block = alicloud.oss.BucketPublicAccessBlock(
        "artifacts-public-access-block",
        bucket=bucket.bucket,
        block_public_access=True,
        opts=pulumi.ResourceOptions(parent=bucket, depends_on=[acl]),
    )
    return AliArtifactBucket(bucket=bucket, acl=acl, public_access_block=block, keep=keep, name=name)


class OssArtifactBackend:
    """``ArtifactBackend`` on OSS and FC 3.0."""

    create_bucket = staticmethod(create_bucket)
    direct_code = staticmethod(direct_code)


BACKEND = OssArtifactBackend()
