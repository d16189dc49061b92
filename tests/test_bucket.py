"""Bucket's exact wiring on both stacks (Pulumi mocks): bucket hardening, grants, triggers, bad input."""

from __future__ import annotations

import json

import pulumi
import pytest
from pulumi_harness import ACCOUNT, REGION, deploy, resolve

from components.ali.bucket import OBJECT_CREATED_EVENTS
from components.bucket import Bucket, BucketArgs
from components.function import FunctionArgs, ServerlessFunction

AWS_S3 = "aws:s3/bucket:Bucket"
ALI_OSS = "alicloud:oss/bucket:Bucket"


def _fn(name: str) -> ServerlessFunction:
    return ServerlessFunction(name, FunctionArgs(code="trigger_object_storage"))


def _suffix(d) -> str:
    return resolve(d.outputs["bucket"].name).rsplit("-", 1)[1]


# -- the bucket itself ----------------------------------------------------------------------


def test_aws_bucket_is_private_encrypted_and_owner_enforced() -> None:
    d = deploy("aws", lambda app: {"bucket": Bucket("uploads", BucketArgs(objects={"test.txt": "hello"}))})
    suffix = _suffix(d)
    bucket = d.one(AWS_S3)
    assert bucket.inputs["bucket"] == f"uploads-{suffix}"
    assert bucket.inputs["forceDestroy"] is False
    assert "acl" not in bucket.inputs
    sse = d.one("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration")
    assert sse.inputs["bucket"] == f"uploads-{suffix}"
    assert sse.inputs["rules"] == [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}]
    pab = d.one("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")
    flags = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
    assert {k: pab.inputs[k] for k in flags} == {
        "blockPublicAcls": True,
        "blockPublicPolicy": True,
        "ignorePublicAcls": True,
        "restrictPublicBuckets": True,
    }
    own = d.one("aws:s3/bucketOwnershipControls:BucketOwnershipControls")
    assert own.inputs["rule"] == {"objectOwnership": "BucketOwnerEnforced"}
    obj = d.one("aws:s3/bucketObjectv2:BucketObjectv2")
    assert (obj.inputs["bucket"], obj.inputs["key"]) == (f"uploads-{suffix}", "test.txt")
    assert obj.inputs["content"] == "hello"
    b = d.outputs["bucket"]
    assert b.arn == f"arn:aws:s3:::uploads-{suffix}"
    assert resolve(b.bucket_name) == f"uploads-{suffix}"
    # No trigger, no notification.
    assert d.of_type("aws:s3/bucketNotification:BucketNotification") == []


def test_ali_bucket_is_private_encrypted_and_blocks_public_access() -> None:
    d = deploy("ali", lambda app: {"bucket": Bucket("uploads", BucketArgs(objects={"test.txt": "hello"}))})
    suffix = _suffix(d)
    bucket = d.one(ALI_OSS)
    assert bucket.inputs["bucket"] == f"uploads-{suffix}"
    assert bucket.inputs["forceDestroy"] is False
    assert bucket.inputs["serverSideEncryptionRule"] == {"sseAlgorithm": "AES256"}
    assert bucket.inputs["storageClass"] == "Standard"
    assert "acl" not in bucket.inputs  # deprecated field: the BucketAcl resource instead
    acl = d.one("alicloud:oss/bucketAcl:BucketAcl")
    assert (acl.inputs["bucket"], acl.inputs["acl"]) == (f"uploads-{suffix}", "private")
    pab = d.one("alicloud:oss/bucketPublicAccessBlock:BucketPublicAccessBlock")
    assert (pab.inputs["bucket"], pab.inputs["blockPublicAccess"]) == (f"uploads-{suffix}", True)
    obj = d.one("alicloud:oss/bucketObject:BucketObject")
    assert (obj.inputs["bucket"], obj.inputs["key"]) == (f"uploads-{suffix}", "test.txt")
    assert obj.inputs["content"] == "hello"
    assert d.outputs["bucket"].arn == f"acs:oss:*:{ACCOUNT['ali']}:uploads-{suffix}"
    assert d.of_type("alicloud:fc/v3Trigger:V3Trigger") == []


def test_force_destroy_and_explicit_name_and_escape_hatch(cloud: str) -> None:
    extra = {"aws": {"tags": {"team": "a"}}} if cloud == "aws" else {"ali": {"tags": {"team": "a"}}}
    d = deploy(
        cloud,
        lambda app: {
            "bucket": Bucket("uploads", BucketArgs(name="my-company-uploads-2024", force_destroy=True, **extra))
        },
    )
    bucket = d.one(AWS_S3 if cloud == "aws" else ALI_OSS)
    assert bucket.inputs["bucket"] == "my-company-uploads-2024"
    assert bucket.inputs["forceDestroy"] is True
    assert bucket.inputs["tags"] == {"team": "a"}


def test_default_names_differ_between_stacks_of_each_cloud() -> None:
    names = {
        c: deploy(c, lambda app: {"bucket": Bucket("uploads")}).one(AWS_S3 if c == "aws" else ALI_OSS).inputs["bucket"]
        for c in ("aws", "ali")
    }
    assert names["aws"] != names["ali"]
    assert all(n.startswith("uploads-") and len(n) <= 63 for n in names.values())


# -- grants ---------------------------------------------------------------------------------


def _grants(app):
    fn = ServerlessFunction("worker", FunctionArgs(code="output_object_storage"))
    bucket = Bucket("files")
    bucket.grant_read(fn, "docs")
    bucket.grant_write(fn, "docs")
    bucket.grant_delete(fn)  # binding defaults to the one already used for this function
    return {"bucket": bucket, "fn": fn}


def test_aws_grants_exact_statements_and_settings() -> None:
    d = deploy("aws", _grants)
    name = d.outputs["bucket"].name
    arn = f"arn:aws:s3:::{name}"
    policy = d.one("aws:iam/rolePolicy:RolePolicy", "worker-grants")
    assert policy.json("policy") == {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "ObjectsRead", "Effect": "Allow", "Action": ["s3:GetObject"], "Resource": [f"{arn}/*"]},
            {"Sid": "ObjectsList", "Effect": "Allow", "Action": ["s3:ListBucket"], "Resource": [arn]},
            {"Sid": "ObjectsWrite", "Effect": "Allow", "Action": ["s3:PutObject"], "Resource": [f"{arn}/*"]},
            {"Sid": "ObjectsDelete", "Effect": "Allow", "Action": ["s3:DeleteObject"], "Resource": [f"{arn}/*"]},
        ],
    }
    fn = d.one("aws:lambda/function:Function")
    assert fn.inputs["environment"] == {"variables": {"BUCKET_DOCS_NAME": name, "CLOUDFN_CLOUD": "aws"}}


def test_ali_grants_exact_statements_and_settings() -> None:
    d = deploy("ali", _grants)
    name = d.outputs["bucket"].name
    arn = f"acs:oss:*:{ACCOUNT['ali']}:{name}"
    policy = d.one("alicloud:ram/policy:Policy", "worker-grants")
    assert policy.json("policyDocument") == {
        "Version": "1",
        "Statement": [
            {"Effect": "Allow", "Action": ["oss:GetObject"], "Resource": [f"{arn}/*"]},
            {"Effect": "Allow", "Action": ["oss:ListObjects"], "Resource": [arn]},
            {"Effect": "Allow", "Action": ["oss:PutObject"], "Resource": [f"{arn}/*"]},
            {"Effect": "Allow", "Action": ["oss:DeleteObject"], "Resource": [f"{arn}/*"]},
        ],
    }
    attachment = d.one("alicloud:ram/rolePolicyAttachment:RolePolicyAttachment", "worker-grants")
    assert attachment.inputs["policyName"] == policy.inputs["policyName"]
    fn = d.one("alicloud:fc/v3Function:V3Function")
    assert fn.inputs["environmentVariables"] == {
        "BUCKET_DOCS_NAME": name,
        "BUCKET_DOCS_REGION": REGION["ali"],
        "BUCKET_DOCS_ENDPOINT": f"oss-{REGION['ali']}-internal.aliyuncs.com",
        "CLOUDFN_CLOUD": "ali",
    }


def test_grants_scope_each_bucket_separately(cloud: str) -> None:
    def program(app):
        fn = ServerlessFunction("worker", FunctionArgs(code="output_object_storage"))
        a, b = Bucket("inbox"), Bucket("outbox")
        a.grant_read(fn)
        b.grant_write(fn)
        return {"a": a, "b": b}

    d = deploy(cloud, program)
    if cloud == "aws":
        doc = d.one("aws:iam/rolePolicy:RolePolicy", "worker-grants").json("policy")
        env = d.one("aws:lambda/function:Function").inputs["environment"]["variables"]
    else:
        doc = d.one("alicloud:ram/policy:Policy", "worker-grants").json("policyDocument")
        env = d.one("alicloud:fc/v3Function:V3Function").inputs["environmentVariables"]
    a, b = d.outputs["a"], d.outputs["b"]
    assert [st["Resource"] for st in doc["Statement"]] == [[a.objects_arn], [a.arn], [b.objects_arn]]
    assert env["BUCKET_INBOX_NAME"] == a.name and env["BUCKET_OUTBOX_NAME"] == b.name


def test_conflicting_binding_for_one_function_is_rejected(cloud: str) -> None:
    def program(app):
        fn = ServerlessFunction("worker", FunctionArgs(code="output_object_storage"))
        bucket = Bucket("files")
        bucket.grant_read(fn, "docs")
        bucket.grant_write(fn, "other")

    with pytest.raises(pulumi.RunError, match=r"binding for function 'worker': got 'other'.*'docs'"):
        deploy(cloud, program)


# -- triggers -------------------------------------------------------------------------------


def _two_functions_three_subscriptions(app):
    a, b = _fn("thumbs"), _fn("indexer")
    bucket = Bucket("media")
    bucket.on_object_created(a, prefix="images/", suffix=".jpg")
    bucket.on_object_created(a, prefix="images/", suffix=".png")  # same prefix, disjoint suffix: fine
    bucket.on_object_created(b, prefix="docs/")
    return {"bucket": bucket, "a": a, "b": b}


def test_aws_one_notification_gathers_every_subscription() -> None:
    d = deploy("aws", _two_functions_three_subscriptions)
    name = d.outputs["bucket"].name
    arn = lambda fn: f"arn:aws:lambda:{REGION['aws']}:{ACCOUNT['aws']}:function:{fn}-{name.rsplit('-', 1)[1]}"  # noqa: E731
    permissions = d.of_type("aws:lambda/permission:Permission")
    assert sorted(p.name for p in permissions) == ["media-invokes-indexer", "media-invokes-thumbs"]
    for p in permissions:
        fn = p.name.rsplit("-", 1)[1]
        assert p.inputs == {
            "action": "lambda:InvokeFunction",
            "function": f"{fn}-{name.rsplit('-', 1)[1]}",
            "principal": "s3.amazonaws.com",
            "sourceArn": f"arn:aws:s3:::{name}",
            "sourceAccount": ACCOUNT["aws"],
        }
    notification = d.one("aws:s3/bucketNotification:BucketNotification")  # exactly one
    assert notification.inputs["bucket"] == name
    assert notification.inputs["lambdaFunctions"] == [
        {
            "id": "media-to-thumbs",
            "lambdaFunctionArn": arn("thumbs"),
            "events": ["s3:ObjectCreated:*"],
            "filterPrefix": "images/",
            "filterSuffix": ".jpg",
        },
        {
            "id": "media-to-thumbs-2",
            "lambdaFunctionArn": arn("thumbs"),
            "events": ["s3:ObjectCreated:*"],
            "filterPrefix": "images/",
            "filterSuffix": ".png",
        },
        {
            "id": "media-to-indexer",
            "lambdaFunctionArn": arn("indexer"),
            "events": ["s3:ObjectCreated:*"],
            "filterPrefix": "docs/",
        },
    ]
    # The notification waits for every permission (S3 validates the destinations).
    native = d.outputs["bucket"].native
    deps = resolve(native.notification_depends_on)
    assert len(deps) == 2 and all(any(dep is p for p in native.permissions.values()) for dep in deps)


def test_ali_one_trigger_per_subscription_with_scoped_invocation_roles() -> None:
    d = deploy("ali", _two_functions_three_subscriptions)
    name = d.outputs["bucket"].name
    suffix = name.rsplit("-", 1)[1]
    triggers = {t.name: t for t in d.of_type("alicloud:fc/v3Trigger:V3Trigger")}
    assert sorted(triggers) == ["media-to-indexer", "media-to-thumbs", "media-to-thumbs-2"]
    expected_filters = {
        "media-to-thumbs": ("thumbs", "images/", ".jpg"),
        "media-to-thumbs-2": ("thumbs", "images/", ".png"),
        "media-to-indexer": ("indexer", "docs/", ""),
    }
    for trig_name, (fn, prefix, sfx) in expected_filters.items():
        t = triggers[trig_name]
        role = d.one("alicloud:ram/role:Role", f"media-invokes-{fn}-role")
        assert t.inputs["functionName"] == f"{fn}-{suffix}"
        assert t.inputs["triggerName"] == trig_name
        assert t.inputs["triggerType"] == "oss"
        assert t.inputs["qualifier"] == "LATEST"
        assert t.inputs["sourceArn"] == f"acs:oss:{REGION['ali']}:{ACCOUNT['ali']}:{name}"
        assert t.inputs["invocationRole"] == f"acs:ram::{ACCOUNT['ali']}:role/{role.inputs['roleName']}"
        assert t.json("triggerConfig") == {
            "events": [
                "oss:ObjectCreated:PutObject",
                "oss:ObjectCreated:PostObject",
                "oss:ObjectCreated:CopyObject",
                "oss:ObjectCreated:CompleteMultipartUpload",
                "oss:ObjectCreated:AppendObject",
                "oss:ObjectCreated:PutSymlink",
            ],
            "filter": {"key": {"prefix": prefix, "suffix": sfx}},
        }
    assert list(OBJECT_CREATED_EVENTS) == json.loads(triggers["media-to-indexer"].inputs["triggerConfig"])["events"]
    roles = [r for r in d.of_type("alicloud:ram/role:Role") if r.name.startswith("media-invokes-")]
    assert len(roles) == 2  # one per function, shared by that function's subscriptions
    for fn in ("thumbs", "indexer"):
        role = d.one("alicloud:ram/role:Role", f"media-invokes-{fn}-role")
        assert role.json("assumeRolePolicyDocument") == {
            "Version": "1",
            "Statement": [
                {"Effect": "Allow", "Principal": {"Service": ["oss.aliyuncs.com"]}, "Action": "sts:AssumeRole"}
            ],
        }
        assert len(role.inputs["roleName"]) <= 64
        fn_arn = f"acs:fc:{REGION['ali']}:{ACCOUNT['ali']}:functions/{fn}-{suffix}"
        policy = d.one("alicloud:ram/policy:Policy", f"media-invokes-{fn}-invoke")
        assert policy.json("policyDocument") == {
            "Version": "1",
            "Statement": [{"Effect": "Allow", "Action": ["fc:InvokeFunction"], "Resource": [fn_arn, f"{fn_arn}/*"]}],
        }
        attachment = d.one("alicloud:ram/rolePolicyAttachment:RolePolicyAttachment", f"media-invokes-{fn}-invoke")
        assert attachment.inputs["roleName"] == role.inputs["roleName"]
        assert attachment.inputs["policyName"] == policy.inputs["policyName"]
    # Subscribing grants no object access by itself.
    assert [p.name for p in d.of_type("alicloud:ram/policy:Policy") if p.name.endswith("-grants")] == []


def test_long_names_stay_within_ram_limits() -> None:
    long_fn = "f" * 32
    d = deploy("ali", lambda app: Bucket("b" * 32).on_object_created(_fn(long_fn)))
    role = d.one("alicloud:ram/role:Role", f"{'b' * 32}-invokes-{long_fn}-role")
    assert len(role.inputs["roleName"]) <= 64
    trigger = d.one("alicloud:fc/v3Trigger:V3Trigger")
    assert len(trigger.inputs["triggerName"]) <= 64


# -- bad input: clear errors before anything is registered ---------------------------------


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (("", ""), ("", "")),  # both match everything
        (("images/", ""), ("images/thumbs/", "")),  # nested prefixes
        (("", ".jpg"), ("images/", ".jpg")),  # empty prefix overlaps any prefix
        (("images/", "photo.jpg"), ("images/", ".jpg")),  # nested suffixes
    ],
)
def test_overlapping_filters_are_rejected(cloud: str, first: tuple[str, str], second: tuple[str, str]) -> None:
    registered_before_error: list[str] = []

    def program(app):
        a, b = _fn("one"), _fn("two")
        bucket = Bucket("media")
        bucket.on_object_created(a, prefix=first[0], suffix=first[1])
        registered_before_error.extend(s.name for s in bucket.subscriptions)
        bucket.on_object_created(b, prefix=second[0], suffix=second[1])

    message = r"filter: got .*cannot match the same keys as subscription 'media-to-one'"
    with pytest.raises(pulumi.RunError, match=message):
        deploy(cloud, program)
    assert registered_before_error == ["media-to-one"]


def test_disjoint_filters_are_accepted(cloud: str) -> None:
    def program(app):
        fn = _fn("one")
        bucket = Bucket("media")
        bucket.on_object_created(fn, prefix="images/")
        bucket.on_object_created(fn, prefix="videos/")
        bucket.on_object_created(fn, prefix="docs/", suffix=".pdf")
        bucket.on_object_created(fn, prefix="docs/", suffix=".txt")
        return {"bucket": bucket}

    d = deploy(cloud, program)
    assert len(d.outputs["bucket"].subscriptions) == 4


def test_more_than_ten_triggers_per_bucket_is_rejected(cloud: str) -> None:
    def program(app):
        fn = _fn("one")
        bucket = Bucket("media")
        for i in range(11):
            bucket.on_object_created(fn, prefix=f"p{i:02d}/")

    with pytest.raises(pulumi.RunError, match=r"subscription 11'; at most 10 object-created subscriptions per bucket"):
        deploy(cloud, program)


def test_ten_triggers_per_bucket_are_fine(cloud: str) -> None:
    def program(app):
        fn = _fn("one")
        bucket = Bucket("media")
        for i in range(10):
            bucket.on_object_created(fn, prefix=f"p{i:02d}/")

    d = deploy(cloud, program)
    if cloud == "aws":
        assert len(d.one("aws:s3/bucketNotification:BucketNotification").inputs["lambdaFunctions"]) == 10
        assert len(d.of_type("aws:lambda/permission:Permission")) == 1
    else:
        assert len(d.of_type("alicloud:fc/v3Trigger:V3Trigger")) == 10


@pytest.mark.parametrize(
    "bad",
    [
        "ab",
        "Uploads-2024",
        "my.bucket.name",
        "-leading",
        "trailing-",
        "under_score",
        "a" * 64,
        "xn--bucket",
        "sthree-bucket",
        "data-s3alias",
        "bucket--ol-s3",
        42,
    ],
)
def test_bad_bucket_names_are_rejected(cloud: str, bad: object) -> None:
    def program(app):
        Bucket("uploads", BucketArgs(name=bad))  # type: ignore[arg-type]

    with pytest.raises(pulumi.RunError, match=r"bucket 'uploads' name: got .*3-63 characters"):
        deploy(cloud, program)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (BucketArgs(force_destroy="yes"), r"force_destroy: got 'yes'; true or false"),  # type: ignore[arg-type]
        (BucketArgs(objects={"/abs.txt": "x"}), r"object key: got '/abs.txt'; a key not starting with"),
        (BucketArgs(objects={"": "x"}), r"object key: got ''; a non-empty string"),
        (BucketArgs(objects={"k": b"bytes"}), r"object 'k' content: got 'bytes'; a string"),  # type: ignore[dict-item]
    ],
)
def test_bad_bucket_args(cloud: str, args: BucketArgs, message: str) -> None:
    with pytest.raises(pulumi.RunError, match=message):
        deploy(cloud, lambda app: Bucket("uploads", args))


def test_bad_logical_name_and_trigger_inputs(cloud: str) -> None:
    with pytest.raises(pulumi.RunError, match=r"Bucket name: got 'Up_loads'"):
        deploy(cloud, lambda app: Bucket("Up_loads"))
    with pytest.raises(pulumi.RunError, match=r"on_object_created function: got 'fn'; a ServerlessFunction"):
        deploy(cloud, lambda app: Bucket("media").on_object_created("fn"))  # type: ignore[arg-type]
    with pytest.raises(pulumi.RunError, match=r"on_object_created prefix: got 3"):
        deploy(cloud, lambda app: Bucket("media").on_object_created(_fn("one"), prefix=3))  # type: ignore[arg-type]
