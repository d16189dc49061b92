"""OSS backend of Bucket."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pulumi
import pulumi_alicloud as alicloud

from components.ali import arns
from components.ali.ram import ServiceRole, service_role
from components.bindings import setting_name
from components.naming import short_name
from components.permissions import Grant

if TYPE_CHECKING:
    from components.app import Application
    from components.bucket import Bucket, Subscription

# The ObjectCreated events after which the object is complete and readable: the
# "oss:ObjectCreated:*" of the tutorial also fires on InitiateMultipartUpload and each
# UploadPart, before the object exists, which S3's "s3:ObjectCreated:*" never does.
OBJECT_CREATED_EVENTS = (
    "oss:ObjectCreated:PutObject",
    "oss:ObjectCreated:PostObject",
    "oss:ObjectCreated:CopyObject",
    "oss:ObjectCreated:CompleteMultipartUpload",
    "oss:ObjectCreated:AppendObject",
    "oss:ObjectCreated:PutSymlink",
)


def trigger_config(sub: Subscription) -> str:
    return json.dumps(
        {
            "events": list(OBJECT_CREATED_EVENTS),
            "filter": {"key": {"prefix": sub.prefix, "suffix": sub.suffix}},
        },
        separators=(",", ":"),
    )


@dataclass
class AliBucket:
    app: Application
    bucket: alicloud.oss.Bucket
    acl: alicloud.oss.BucketAcl
    public_access_block: alicloud.oss.BucketPublicAccessBlock
    objects: dict[str, alicloud.oss.BucketObject]
    roles: dict[str, ServiceRole] = field(default_factory=dict)
    triggers: dict[str, alicloud.fc.V3Trigger] = field(default_factory=dict)

    @property
    def bucket_name(self) -> pulumi.Output[str]:
        return self.bucket.bucket

    def driver_settings(self, binding: str) -> dict[str, pulumi.Input[str]]:
        region = self.app.region
        return {
            setting_name("bucket", binding, "region"): region,
            setting_name("bucket", binding, "endpoint"): arns.oss_internal_endpoint(region),
        }

    def _invocation_role(self, component: Bucket, sub: Subscription) -> ServiceRole:
        fn, app = sub.function, self.app
        return service_role(
            f"{component.logical_name}-invokes-{fn.logical_name}",
            # RAM role names are at most 64 characters.
            role_name=short_name([component.logical_name, fn.logical_name, "oss", app.names.suffix], 64),
            service="oss.aliyuncs.com",
            description=f"Lets OSS bucket {component.name} invoke function {fn.physical_name}",
            policy="invoke",
            policy_name=short_name([component.logical_name, fn.logical_name, "oss-invoke", app.names.suffix], 128),
            policy_description=f"Invoke function {fn.physical_name} only",
            grants=[Grant("function.invoke", [fn.arn, fn.arn.apply(lambda a: f"{a}/*")])],
            parent=component,
        )

    def subscribe(self, component: Bucket, sub: Subscription, first_for_function: bool) -> None:
        fn, app = sub.function, self.app
        if first_for_function:
            self.roles[fn.logical_name] = self._invocation_role(component, sub)
        role = self.roles[fn.logical_name]
        self.triggers[sub.name] = alicloud.fc.V3Trigger(
            sub.name,
            function_name=fn.function_name,
            trigger_name=sub.name,
            trigger_type="oss",
            qualifier="LATEST",
            description=f"Objects created in {component.name}",
            source_arn=arns.oss_source(app.region, app.account_id, component.name),
            invocation_role=role.role.arn,
            trigger_config=trigger_config(sub),
            # OSS must be able to assume the role and invoke when the trigger is created.
            opts=pulumi.ResourceOptions(parent=component, depends_on=[role.attachment, self.bucket]),
        )


def create(component: Bucket, app: Application) -> AliBucket:
    name, args = component.logical_name, component.args
    bucket_args: dict[str, Any] = {
        "bucket": component.name,
        "storage_class": "Standard",
        "server_side_encryption_rule": {"sse_algorithm": "AES256"},
        "force_destroy": args.force_destroy,
    }
    bucket_args.update(args.ali)
    bucket = alicloud.oss.Bucket(name, **bucket_args, opts=pulumi.ResourceOptions(parent=component))
    acl = alicloud.oss.BucketAcl(
        f"{name}-acl", bucket=bucket.bucket, acl="private", opts=pulumi.ResourceOptions(parent=bucket)
    )
    block = alicloud.oss.BucketPublicAccessBlock(
        f"{name}-public-access-block",
        bucket=bucket.bucket,
        block_public_access=True,
        opts=pulumi.ResourceOptions(parent=bucket, depends_on=[acl]),
    )
    objects = {
        key: alicloud.oss.BucketObject(
            f"{name}-object-{key}",
            bucket=bucket.bucket,
            key=key,
            content=content,
            opts=pulumi.ResourceOptions(parent=bucket),
        )
        for key, content in sorted(args.objects.items())
    }
    return AliBucket(app=app, bucket=bucket, acl=acl, public_access_block=block, objects=objects)


class OssBackend:
    """``BucketBackend`` on OSS."""

    def arn(self, app: Application, physical_name: str) -> str:
        return arns.oss_bucket(app.account_id, physical_name)

    create = staticmethod(create)


BACKEND = OssBackend()
