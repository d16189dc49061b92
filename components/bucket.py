"""``Bucket``: private object storage on S3 or OSS, object-created triggers and intent grants."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import pulumi

from components.app import Application
from components.bindings import setting_name
from components.errors import invalid
from components.function import ServerlessFunction, function_label
from components.naming import short_name, validate_name
from components.permissions import Grant
from components.validators import boolean

TYPE = "multicloud:index:Bucket"

# The rules both clouds accept: S3 also allows dots, OSS does not (and dotted names break
# virtual-hosted HTTPS on S3), so no dots.
BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$")
# Names S3 reserves (bucket naming rules, general purpose buckets).
RESERVED_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
RESERVED_SUFFIXES = ("-s3alias", "--ol-s3", "--x-s3", "--table-s3")
BUCKET_NAME_RULE = (
    "3-63 characters: lowercase letters, digits and hyphens, starting and ending with a letter "
    "or digit, no dots, not starting with "
    + "/".join(RESERVED_PREFIXES)
    + " nor ending with "
    + "/".join(RESERVED_SUFFIXES)
    + " (valid for both S3 and OSS; bucket names are global, so pick one nobody else uses)"
)
MAX_KEY_BYTES = 1023  # OSS allows 1-1023 bytes, S3 1-1024: the stricter one
# Alibaba Cloud: "If you want to associate more than 10 OSS triggers with a bucket, you can use
# only EventBridge-based OSS triggers" (FC 3.0 OSS trigger overview). Checked on both stacks so
# the program stays portable.
MAX_TRIGGERS_PER_BUCKET = 10


@dataclass
class BucketArgs:
    """Neutral settings of a bucket.

    - ``name``: the physical bucket name. Default ``<logical>-<stack suffix>``, unique per
      cloud, account, region, project and stack. A name you give must be valid on both clouds
      (see ``BUCKET_NAME_RULE``) and not taken by anyone else in the world.
    - ``force_destroy``: delete the objects when the bucket is destroyed. Off by default, so
      ``pulumi destroy`` refuses to drop data.
    - ``objects``: initial objects, ``{key: text content}`` (the tutorial creates ``test.txt``).
    - ``aws`` / ``ali``: extra arguments for ``aws.s3.Bucket`` / ``alicloud.oss.Bucket``
      (escape hatch), overriding what the component sets.
    """

    name: str | None = None
    force_destroy: bool = False
    objects: Mapping[str, str] = field(default_factory=dict)
    aws: Mapping[str, Any] = field(default_factory=dict)
    ali: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Subscription:
    """One ``on_object_created`` call: which function, which keys, under which name."""

    name: str
    function: ServerlessFunction
    prefix: str
    suffix: str


def validate_bucket_name(where: str, name: object) -> str:
    if (
        not isinstance(name, str)
        or not BUCKET_NAME.match(name)
        or name.startswith(RESERVED_PREFIXES)
        or name.endswith(RESERVED_SUFFIXES)
    ):
        raise invalid(f"{where} name", name, BUCKET_NAME_RULE)
    return name


def validate_key(where: str, key: object) -> str:
    if not isinstance(key, str) or not key or len(key.encode()) > MAX_KEY_BYTES:
        raise invalid(where, key, f"a non-empty string of at most {MAX_KEY_BYTES} UTF-8 bytes")
    # OSS rejects keys starting with '/' or '\'; S3 would store them but they read badly.
    if key[0] in "/\\":
        raise invalid(where, key, "a key not starting with '/' or '\\'")
    return key


def validate(name: str, args: BucketArgs, default_name: str) -> str:
    where = f"bucket '{name}'"
    physical = validate_bucket_name(where, default_name if args.name is None else args.name)
    boolean(f"{where} force_destroy", args.force_destroy)
    if not isinstance(args.objects, Mapping):
        raise invalid(f"{where} objects", args.objects, "a mapping of object key to text content")
    for key, content in args.objects.items():
        validate_key(f"{where} object key", key)
        if not isinstance(content, str):
            raise invalid(f"{where} object {key!r} content", type(content).__name__, "a string")
    for cloud in ("aws", "ali"):
        if not isinstance(getattr(args, cloud), Mapping):
            raise invalid(f"{where} {cloud}", getattr(args, cloud), "a mapping of extra resource arguments")
    return physical


def filters_overlap(a: Subscription, b: Subscription) -> bool:
    """S3 and OSS reject two rules on one bucket when some key could match both.

    A key matches both exactly when one prefix is a prefix of the other AND one suffix is a
    suffix of the other (an empty prefix or suffix matches everything).
    """
    prefixes = a.prefix.startswith(b.prefix) or b.prefix.startswith(a.prefix)
    suffixes = a.suffix.endswith(b.suffix) or b.suffix.endswith(a.suffix)
    return prefixes and suffixes


class NativeBucket(Protocol):
    """What a backend built for one bucket."""

    @property
    def bucket_name(self) -> pulumi.Output[str]: ...

    def driver_settings(self, binding: str) -> Mapping[str, pulumi.Input[str]]:
        """Settings the object-store driver needs besides ``BUCKET_<B>_NAME`` (region, endpoint)."""
        ...

    def subscribe(self, component: Bucket, sub: Subscription, first_for_function: bool) -> None:
        """Wire one validated ``on_object_created`` subscription (``first_for_function``: the
        first of this function on this bucket, which carries the invoke permission)."""
        ...


class BucketBackend(Protocol):
    """The contract of a cloud's bucket backend (``app.backend("Bucket")``)."""

    def arn(self, app: Application, physical_name: str) -> str:
        """The bucket's ARN as grants name it (its objects are ``<arn>/*`` on both clouds)."""
        ...

    def create(self, component: Bucket, app: Application) -> NativeBucket: ...


class Bucket(pulumi.ComponentResource):
    """A private, encrypted bucket on the stack's cloud.

    AWS creates:
      - ``aws.s3.Bucket`` (``force_destroy`` as given, off by default);
      - ``aws.s3.BucketServerSideEncryptionConfiguration``: SSE-S3 (AES256) by default;
      - ``aws.s3.BucketPublicAccessBlock`` with all four blocks on;
      - ``aws.s3.BucketOwnershipControls`` ``BucketOwnerEnforced`` (ACLs disabled);
      - one ``aws.s3.BucketObjectv2`` per initial object.
    Alibaba Cloud creates:
      - ``alicloud.oss.Bucket`` (Standard storage) with server-side encryption AES256;
      - ``alicloud.oss.BucketAcl`` ``private`` (``Bucket.acl`` is deprecated);
      - ``alicloud.oss.BucketPublicAccessBlock`` ``block_public_access=true``;
      - one ``alicloud.oss.BucketObject`` per initial object.

    ``on_object_created(fn)`` invokes a function for new objects and ``grant_read(fn)`` /
    ``grant_write(fn)`` / ``grant_delete(fn)`` let it use the objects (see each method). The
    native resources are exposed as ``native``.
    """

    def __init__(self, name: str, args: BucketArgs | None = None, opts: pulumi.ResourceOptions | None = None) -> None:
        app = Application.current()
        args = args or BucketArgs()
        validate_name("Bucket", name)
        physical = validate(name, args, app.names.physical(name))
        super().__init__(TYPE, name, None, opts)
        self.logical_name = name
        self.cloud = app.cloud
        self.args = args
        self._app = app
        #: The physical bucket name, known up front (policies and settings use it).
        self.name: str = physical
        self._subscriptions: list[Subscription] = []
        self._bindings: dict[int, str] = {}
        backend: BucketBackend = app.backend("Bucket")
        self.arn: str = backend.arn(app, physical)
        self.objects_arn: str = f"{self.arn}/*"
        self.native = backend.create(self, app)
        self.bucket_name: pulumi.Output[str] = self.native.bucket_name
        app.register_outputs_at_end(self, {"bucket_name": self.bucket_name, "arn": self.arn})

    # -- triggers ---------------------------------------------------------------------------
    def on_object_created(
        self,
        fn: ServerlessFunction,
        prefix: str = "",
        suffix: str = "",
        name: str | None = None,
    ) -> Subscription:
        """Invoke ``fn`` for each object created under ``prefix`` and ending with ``suffix``.

        The function receives the cloud's event; ``cloudfn.events.objects`` turns it into
        neutral ``ObjectCreated`` records.

        AWS: a ``aws.lambda_.Permission`` for principal ``s3.amazonaws.com`` limited to this
        bucket's ARN and this account (one per function and bucket), and an entry in the
        bucket's single ``aws.s3.BucketNotification`` (S3 keeps only one notification
        configuration per bucket, so every subscription is gathered into one resource) for
        ``s3:ObjectCreated:*`` with the prefix/suffix filter.
        Alibaba Cloud: an FC 3.0 ``oss`` trigger for the ObjectCreated events that complete an
        object, with the prefix/suffix filter, and a RAM role trusting only
        ``oss.aliyuncs.com`` allowed ``fc:InvokeFunction`` on this function only (one per
        function and bucket).

        Rejected here rather than at deploy time: a filter overlapping another one on this
        bucket (S3 and OSS refuse overlapping rules) and more than 10 subscriptions per bucket
        (the OSS limit for native triggers).
        """
        where = f"bucket '{self.logical_name}' on_object_created"
        self._app.require_open(f"{where}({function_label(fn)})")
        if not isinstance(fn, ServerlessFunction):
            raise invalid(f"{where} function", fn, "a ServerlessFunction")
        for label, value in (("prefix", prefix), ("suffix", suffix)):
            if not isinstance(value, str) or len(value.encode()) > MAX_KEY_BYTES:
                raise invalid(f"{where} {label}", value, f"a string of at most {MAX_KEY_BYTES} UTF-8 bytes")
        if len(self._subscriptions) >= MAX_TRIGGERS_PER_BUCKET:
            raise invalid(
                f"{where} ({fn.logical_name})",
                f"subscription {len(self._subscriptions) + 1}",
                f"at most {MAX_TRIGGERS_PER_BUCKET} object-created subscriptions per bucket (Alibaba Cloud's "
                "limit for native OSS triggers); use a second bucket or one function that dispatches",
            )
        same_pair = [s for s in self._subscriptions if s.function is fn]
        default = short_name([self.logical_name, "to", fn.logical_name], 56)
        if same_pair:
            default = f"{default}-{len(same_pair) + 1}"
        sub_name = default if name is None else name
        if not isinstance(sub_name, str) or not re.match(r"^[a-z][a-z0-9-]{0,63}$", sub_name):
            raise invalid(
                f"{where} name", sub_name, "1-64 lowercase letters, digits and hyphens, starting with a letter"
            )
        if any(s.name == sub_name for s in self._subscriptions):
            raise invalid(f"{where} name", sub_name, "a name not used by another subscription of this bucket")
        sub = Subscription(name=sub_name, function=fn, prefix=prefix, suffix=suffix)
        for other in self._subscriptions:
            if filters_overlap(sub, other):
                raise invalid(
                    f"{where} ({fn.logical_name}) filter",
                    {"prefix": prefix, "suffix": suffix},
                    f"a filter that cannot match the same keys as subscription '{other.name}' "
                    f"(prefix {other.prefix!r}, suffix {other.suffix!r}); S3 and OSS reject "
                    "overlapping rules on one bucket - use disjoint prefixes or suffixes",
                )
        self._subscriptions.append(sub)
        self.native.subscribe(self, sub, first_for_function=not same_pair)
        return sub

    @property
    def subscriptions(self) -> tuple[Subscription, ...]:
        return tuple(self._subscriptions)

    # -- grants -----------------------------------------------------------------------------
    def _settings(self, fn: ServerlessFunction, binding: str | None) -> dict[str, pulumi.Input[str]]:
        """The driver's settings, injected once per function (the first grant carries them)."""
        bound = self._bindings.get(id(fn))
        binding = bound if binding is None and bound else (binding or self.logical_name)
        if not isinstance(binding, str) or not re.match(r"^[a-z][a-z0-9_-]*$", binding):
            raise invalid(
                f"bucket '{self.logical_name}' binding",
                binding,
                "lowercase letters, digits, '_' and '-', starting with a letter",
            )
        if bound is not None:
            if bound != binding:
                raise invalid(
                    f"bucket '{self.logical_name}' binding for function '{fn.logical_name}'",
                    binding,
                    f"the binding already used for this function: {bound!r}",
                )
            return {}
        self._bindings[id(fn)] = binding
        settings: dict[str, pulumi.Input[str]] = {setting_name("bucket", binding, "name"): self.name}
        settings.update(self.native.driver_settings(binding))
        return settings

    def grant_read(self, fn: ServerlessFunction, binding: str | None = None) -> None:
        """Let ``fn`` read objects (get, head) and list this bucket.

        AWS: ``s3:GetObject`` on ``arn:aws:s3:::<bucket>/*`` and ``s3:ListBucket`` on the
        bucket (without it a missing key reads as 403, not 404).
        Alibaba Cloud: ``oss:GetObject`` on ``acs:oss:*:<account>:<bucket>/*`` and
        ``oss:ListObjects`` on ``acs:oss:*:<account>:<bucket>``.
        Injects ``BUCKET_<BINDING>_NAME`` (and on Alibaba Cloud ``_REGION`` and ``_ENDPOINT``,
        the internal endpoint); ``binding`` defaults to the bucket's logical name.
        """
        self._app.require_open(f"bucket '{self.logical_name}' grant_read({function_label(fn)})")
        settings = self._settings(fn, binding)
        fn.grant(Grant("objects.read", [self.objects_arn], settings))
        fn.grant(Grant("objects.list", [self.arn]))

    def grant_write(self, fn: ServerlessFunction, binding: str | None = None) -> None:
        """Let ``fn`` create and overwrite objects: ``s3:PutObject`` / ``oss:PutObject`` on
        this bucket's objects only. Injects the same settings as ``grant_read``."""
        self._app.require_open(f"bucket '{self.logical_name}' grant_write({function_label(fn)})")
        fn.grant(Grant("objects.write", [self.objects_arn], self._settings(fn, binding)))

    def grant_delete(self, fn: ServerlessFunction, binding: str | None = None) -> None:
        """Let ``fn`` delete objects: ``s3:DeleteObject`` / ``oss:DeleteObject`` on this
        bucket's objects only."""
        self._app.require_open(f"bucket '{self.logical_name}' grant_delete({function_label(fn)})")
        fn.grant(Grant("objects.delete", [self.objects_arn], self._settings(fn, binding)))
