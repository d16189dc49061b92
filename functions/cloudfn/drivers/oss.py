"""OSS adapter of :class:`~cloudfn.drivers.objectstore.ObjectStore` (``alibabacloud-oss-v2``).

Why this SDK (see docs/storage.md): it is Alibaba's current official Python SDK, signs with
V4 (which OSS recommends), ships as a pure-Python wheel whose dependencies all have manylinux
x86_64 wheels for CPython 3.10 and 3.12, so the packager can bundle it for FC. ``oss2`` is
published as an sdist only (the packager installs wheels only, for the target platform) and
signs V1 by default; the S3-compatible mode would need boto3 bundled on FC and is not
documented to accept STS tokens.

FC gives the function its role's STS credentials in ``ALIBABA_CLOUD_ACCESS_KEY_ID`` /
``ALIBABA_CLOUD_ACCESS_KEY_SECRET`` / ``ALIBABA_CLOUD_SECURITY_TOKEN``; the SDK's own
environment provider reads ``OSS_*`` names instead, so the credentials are passed explicitly.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from typing import Any

from cloudfn import settings
from cloudfn.drivers.objectstore import (
    Body,
    ObjectInfo,
    ObjectStore,
    as_bytes,
    check_size,
    clean_etag,
    read_bounded,
)
from cloudfn.errors import (
    ConflictError,
    DriverError,
    NotFoundError,
    PermissionDeniedError,
    SettingError,
    ThrottledError,
)

_NOT_FOUND = {"NoSuchKey", "NoSuchBucket"}
_DENIED = {
    "AccessDenied",
    "InvalidAccessKeyId",
    "SignatureDoesNotMatch",
    "SecurityTokenExpired",
    "InvalidSecurityToken",
    "RequestTimeTooSkewed",
}
_THROTTLED = {"SlowDown", "Throttling", "QpsLimitExceeded"}
_CONFLICT = {"PreconditionFailed", "OperationAborted", "ObjectNotAppendable", "FileAlreadyExists"}
_CHUNK = 1024 * 1024


def _service_error(exc: BaseException) -> Any:
    """The ``ServiceError`` inside the SDK's ``OperationError`` chain, if the server answered."""
    seen = 0
    while exc is not None and seen < 5:
        if hasattr(exc, "status_code") and hasattr(exc, "code"):
            return exc
        unwrap = getattr(exc, "unwrap", None)
        exc = unwrap() if callable(unwrap) else None
        seen += 1
    return None


def _neutral(exc: Exception, what: str) -> Exception:
    err = _service_error(exc)
    if err is None:
        inner = getattr(exc, "unwrap", lambda: exc)() or exc
        return DriverError(f"{what}: OSS request failed: {type(inner).__name__}: {inner}")
    status, code = int(err.status_code or 0), str(err.code or "")
    label = code or f"HTTP {status}"
    message = f"{what}: OSS {label}: {err.message or ''} (request id {err.request_id or '-'}, EC {err.ec or '-'})"
    # HEAD errors carry no body, so the SDK reports "BadErrorResponse": the status decides.
    if code in _NOT_FOUND or status == 404:
        return NotFoundError(message)
    if code in _DENIED or status == 403:
        return PermissionDeniedError(message + " (check the function's grants)")
    if code in _THROTTLED or status in (429, 503):
        return ThrottledError(message)
    if code in _CONFLICT or status in (409, 412):
        return ConflictError(message)
    return DriverError(message)


def make_client(
    region: str,
    endpoint: str | None,
    access_key_id: str,
    access_key_secret: str,
    security_token: str | None = None,
) -> Any:
    import alibabacloud_oss_v2 as oss

    cfg = oss.config.load_default()
    cfg.region = region
    if endpoint:
        cfg.endpoint = endpoint
    cfg.credentials_provider = oss.credentials.StaticCredentialsProvider(
        access_key_id, access_key_secret, security_token or None
    )
    return oss.Client(cfg)


class OssObjectStore(ObjectStore):
    """Objects of one OSS bucket. ``client`` is any ``alibabacloud_oss_v2.Client`` (tests pass
    one pointed at a local server)."""

    def __init__(self, bucket: str, client: Any, *, page_size: int = 1000) -> None:
        import alibabacloud_oss_v2 as oss

        self.bucket = bucket
        self.page_size = page_size
        self.client = client
        self._oss = oss
        # OSError too, defensively: the body is streamed by ``requests`` (whose exceptions are
        # OSErrors); the SDK wrapped a dropped stream in the local test, but nothing documents it.
        self._errors: tuple[type[Exception], ...] = (oss.exceptions.BaseError, OSError)

    @classmethod
    def from_env(cls, binding: str, env: Mapping[str, str] | None = None) -> OssObjectStore:
        env = os.environ if env is None else env
        bucket = settings.binding("bucket", binding, "name", env)
        region = settings.binding("bucket", binding, "region", env)
        endpoint = env.get(settings.setting_name("bucket", binding, "endpoint")) or None
        key_id = env.get("ALIBABA_CLOUD_ACCESS_KEY_ID", "")
        secret = env.get("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "")
        if not key_id or not secret:
            raise SettingError(
                "ALIBABA_CLOUD_ACCESS_KEY_ID / ALIBABA_CLOUD_ACCESS_KEY_SECRET are not set; Function "
                "Compute sets them (with ALIBABA_CLOUD_SECURITY_TOKEN) when the function has a role"
            )
        token = env.get("ALIBABA_CLOUD_SECURITY_TOKEN") or None
        return cls(bucket, make_client(region, endpoint, key_id, secret, token))

    def _where(self, key: str) -> str:
        return f"oss://{self.bucket}/{key}"

    def get(self, key: str, *, max_bytes: int | None = None) -> bytes:
        what = f"get {self._where(key)}"
        try:
            result = self.client.get_object(self._oss.GetObjectRequest(bucket=self.bucket, key=key))
            with result.body as body:
                if max_bytes is None:
                    return body.read()
                # The declared length first, then a bounded read in case it lied or was absent.
                check_size(result.content_length, max_bytes, what)
                return read_bounded(body.iter_bytes(block_size=_CHUNK), max_bytes, what)
        except self._errors as exc:
            raise _neutral(exc, what) from exc

    def put_if_absent(self, key: str, data: Body, *, content_type: str | None = None) -> bool:
        # x-oss-forbid-overwrite: true makes OSS answer 409 FileAlreadyExists for an existing key,
        # atomically (https://www.alibabacloud.com/help/en/oss/developer-reference/putobject).
        body = as_bytes(data)
        request = self._oss.PutObjectRequest(
            bucket=self.bucket, key=key, body=body, content_type=content_type, forbid_overwrite=True
        )
        try:
            self.client.put_object(request)
        except self._errors as exc:
            err = _service_error(exc)
            if err is not None and str(err.code or "") == "FileAlreadyExists":
                return False
            raise _neutral(exc, f"put-if-absent {self._where(key)}") from exc
        return True

    def put(self, key: str, data: Body, *, content_type: str | None = None) -> ObjectInfo:
        body = as_bytes(data)
        try:
            result = self.client.put_object(
                self._oss.PutObjectRequest(
                    bucket=self.bucket,
                    key=key,
                    body=body,
                    content_type=content_type,
                )
            )
        except self._errors as exc:
            raise _neutral(exc, f"put {self._where(key)}") from exc
        return ObjectInfo(key, len(body), clean_etag(result.etag), None, content_type or "application/octet-stream")

    def head(self, key: str) -> ObjectInfo:
        try:
            r = self.client.head_object(self._oss.HeadObjectRequest(bucket=self.bucket, key=key))
        except self._errors as exc:
            raise _neutral(exc, f"head {self._where(key)}") from exc
        return ObjectInfo(key, int(r.content_length or 0), clean_etag(r.etag), r.last_modified, r.content_type or "")

    def delete(self, key: str) -> None:
        try:
            self.client.delete_object(self._oss.DeleteObjectRequest(bucket=self.bucket, key=key))
        except self._errors as exc:
            raise _neutral(exc, f"delete {self._where(key)}") from exc

    def list(self, prefix: str = "", *, limit: int | None = None) -> Iterator[ObjectInfo]:
        remaining = limit
        token: str | None = None
        while remaining is None or remaining > 0:
            request = self._oss.ListObjectsV2Request(
                bucket=self.bucket,
                prefix=prefix or None,
                continuation_token=token,
                max_keys=self.page_size if remaining is None else min(remaining, self.page_size),
            )
            try:
                page = self.client.list_objects_v2(request)
            except self._errors as exc:
                raise _neutral(exc, f"list oss://{self.bucket}/{prefix}*") from exc
            for item in page.contents or []:
                yield ObjectInfo(item.key, int(item.size or 0), clean_etag(item.etag), item.last_modified)
                if remaining is not None:
                    remaining -= 1
            token = page.next_continuation_token
            if not page.is_truncated or not token:
                return
