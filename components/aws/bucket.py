"""S3 backend of Bucket."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pulumi
import pulumi_aws as aws

from components.aws.arns import s3_bucket

if TYPE_CHECKING:
    from components.app import Application
    from components.bucket import Bucket, Subscription

OBJECT_CREATED = "s3:ObjectCreated:*"


@dataclass
class AwsBucket:
    app: Application
    bucket: aws.s3.Bucket
    encryption: aws.s3.BucketServerSideEncryptionConfiguration
    public_access_block: aws.s3.BucketPublicAccessBlock
    ownership: aws.s3.BucketOwnershipControls
    objects: dict[str, aws.s3.BucketObjectv2]
    permissions: dict[str, aws.lambda_.Permission] = field(default_factory=dict)
    notification: aws.s3.BucketNotification | None = None
    notification_depends_on: pulumi.Output[Any] | None = None
    _subscriptions: list[Subscription] = field(default_factory=list)

    @property
    def bucket_name(self) -> pulumi.Output[str]:
        return self.bucket.bucket

    def driver_settings(self, binding: str) -> dict[str, pulumi.Input[str]]:
        return {}  # boto3 finds the region (AWS_REGION) and credentials on Lambda itself

    def notification_entries(self) -> list[dict[str, Any]]:
        """The bucket's whole notification configuration, one entry per subscription."""
        entries = []
        for sub in self._subscriptions:
            entry: dict[str, Any] = {
                "id": sub.name,  # arrives as s3.configurationId in each event record
                "lambda_function_arn": sub.function.arn,
                "events": [OBJECT_CREATED],
            }
            if sub.prefix:
                entry["filter_prefix"] = sub.prefix
            if sub.suffix:
                entry["filter_suffix"] = sub.suffix
            entries.append(entry)
        return entries

    def subscribe(self, component: Bucket, sub: Subscription, first_for_function: bool) -> None:
        fn = sub.function
        if first_for_function:
            self.permissions[fn.logical_name] = aws.lambda_.Permission(
                f"{component.logical_name}-invokes-{fn.logical_name}",
                action="lambda:InvokeFunction",
                function=fn.function_name,
                principal="s3.amazonaws.com",
                source_arn=component.arn,
                # Bucket ARNs have no account: without this, a bucket of that name in another
                # account could invoke the function (confused deputy).
                source_account=self.app.account_id,
                opts=pulumi.ResourceOptions(parent=component),
            )
        self._subscriptions.append(sub)
        if self.notification is None:
            app = self.app
            # Evaluated once the program is complete: every subscription, and a dependency on
            # every permission (S3 checks it can invoke each function when the configuration
            # is written).
            self.notification_depends_on = app.deferred(lambda: list(self.permissions.values()))
            self.notification = aws.s3.BucketNotification(
                f"{component.logical_name}-notification",
                bucket=self.bucket.bucket,
                lambda_functions=app.deferred(self.notification_entries),
                opts=pulumi.ResourceOptions(
                    parent=component,
                    depends_on=self.notification_depends_on,
                ),
            )


def create(component: Bucket, app: Application) -> AwsBucket:
    name, args = component.logical_name, component.args
    child = pulumi.ResourceOptions(parent=component)
    bucket_args: dict[str, Any] = {"bucket": component.name, "force_destroy": args.force_destroy}
    bucket_args.update(args.aws)
    bucket = aws.s3.Bucket(name, **bucket_args, opts=child)
    # S3 answers OperationAborted when one bucket's sub-resources change concurrently, so the
    # settings are applied one after the other.
    encryption = aws.s3.BucketServerSideEncryptionConfiguration(
        f"{name}-encryption",
        bucket=bucket.bucket,
        rules=[{"apply_server_side_encryption_by_default": {"sse_algorithm": "AES256"}}],
        opts=pulumi.ResourceOptions(parent=bucket),
    )
    block = aws.s3.BucketPublicAccessBlock(
        f"{name}-public-access-block",
        bucket=bucket.bucket,
        block_public_acls=True,
        block_public_policy=True,
        ignore_public_acls=True,
        restrict_public_buckets=True,
        opts=pulumi.ResourceOptions(parent=bucket, depends_on=[encryption]),
    )
    ownership = aws.s3.BucketOwnershipControls(
        f"{name}-ownership",
        bucket=bucket.bucket,
        rule={"object_ownership": "BucketOwnerEnforced"},
        opts=pulumi.ResourceOptions(parent=bucket, depends_on=[block]),
    )
    objects = {
        key: aws.s3.BucketObjectv2(
            f"{name}-object-{key}",
            bucket=bucket.bucket,
            key=key,
            content=content,
            # Uploaded once the default encryption is in place.
            opts=pulumi.ResourceOptions(parent=bucket, depends_on=[encryption]),
        )
        for key, content in sorted(args.objects.items())
    }
    return AwsBucket(
        app=app,
        bucket=bucket,
        encryption=encryption,
        public_access_block=block,
        ownership=ownership,
        objects=objects,
    )


class S3Backend:
    """``BucketBackend`` on S3."""

    def arn(self, app: Application, physical_name: str) -> str:
        return s3_bucket(app.region, physical_name)

    create = staticmethod(create)


BACKEND = S3Backend()
