"""S3 adapter of :class:`~cloudfn.drivers.objectstore.ObjectStore` (boto3, preinstalled on Lambda)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

from cloudfn.drivers.objectstore import (
    Body,
    ObjectInfo,
    ObjectStore,
    as_bytes,
    check_size,
    clean_etag,
    read_bounded,
)
from cloudfn.errors import ConflictError, DriverError, NotFoundError, PermissionDeniedError, ThrottledError

_NOT_FOUND = {"NoSuchKey", "NoSuchBucket", "NotFound", "404"}
_DENIED = {
    "AccessDenied",
    "403",
    "InvalidAccessKeyId",
    "SignatureDoesNotMatch",
    "ExpiredToken",
    "InvalidToken",
    "AllAccessDisabled",
}
_THROTTLED = {
    "SlowDown",
    "503",
    "Throttling",
    "ThrottlingException",
    "RequestLimitExceeded",
    "TooManyRequestsException",
}
_CONFLICT = {"PreconditionFailed", "412", "ConditionalRequestConflict", "409", "OperationAborted"}
_CHUNK = 1024 * 1024
# Raised by botocore without a response when there are no usable credentials.
_CREDENTIALS = {"NoCredentialsError", "PartialCredentialsError", "CredentialRetrievalError", "NoAuthTokenError"}
# put_if_absent: 412 means the key exists; 409 means a concurrent conditional write to the same
# key is in flight, and S3's documentation says to retry it.
_EXISTS = {"PreconditionFailed", "412"}
_RETRY_CONFLICT = {"ConditionalRequestConflict", "409"}


def _code(exc: Exception) -> str:
    response: dict[str, Any] = getattr(exc, "response", None) or {}
    error = response.get("Error") or {}
    return str(error.get("Code") or response.get("ResponseMetadata", {}).get("HTTPStatusCode") or "")


def _neutral(exc: Exception, what: str) -> Exception:
    response: dict[str, Any] = getattr(exc, "response", None) or {}
    error = response.get("Error") or {}
    code = _code(exc)
    message = f"{what}: S3 {code or type(exc).__name__}: {error.get('Message') or exc}"
    if code in _NOT_FOUND:
        return NotFoundError(message)
    if code in _DENIED or type(exc).__name__ in _CREDENTIALS:
        return PermissionDeniedError(message + " (check the function's role and grants)")
    if code in _THROTTLED:
        return ThrottledError(message)
    if code in _CONFLICT:
        return ConflictError(message)
    return DriverError(message)


class S3ObjectStore(ObjectStore):
    """Objects of one S3 bucket. ``client`` is any boto3 S3 client (tests pass one pointed at a
    local server); by default one is created from the environment, honouring
    ``AWS_ENDPOINT_URL_S3``."""

    def __init__(
        self, bucket: str, client: Any = None, *, endpoint_url: str | None = None, page_size: int = 1000
    ) -> None:
        self.bucket = bucket
        self.page_size = page_size
        if client is None:
            import boto3
            from botocore.config import Config

            client = boto3.client("s3", endpoint_url=endpoint_url, config=Config(retries={"mode": "standard"}))
        self.client = client
        from botocore.exceptions import BotoCoreError, ClientError

        self._errors: tuple[type[Exception], ...] = (ClientError, BotoCoreError)

    def _where(self, key: str) -> str:
        return f"s3://{self.bucket}/{key}"

    def get(self, key: str, *, max_bytes: int | None = None) -> bytes:
        what = f"get {self._where(key)}"
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=key)
            body = response["Body"]  # botocore's StreamingBody (its context manager yields the raw stream)
            try:
                if max_bytes is None:
                    return body.read()
                # The declared length first, then a bounded read in case it lied or was absent;
                # closing the stream unread drops the connection instead of draining it.
                check_size(response.get("ContentLength"), max_bytes, what)
                return read_bounded(body.iter_chunks(_CHUNK), max_bytes, what)
            finally:
                body.close()
        except self._errors as exc:
            raise _neutral(exc, what) from exc

    def put_if_absent(self, key: str, data: Body, *, content_type: str | None = None, attempts: int = 5) -> bool:
        body = as_bytes(data)
        extra = {"ContentType": content_type} if content_type else {}
        for attempt in range(attempts):
            try:
                self.client.put_object(Bucket=self.bucket, Key=key, Body=body, IfNoneMatch="*", **extra)
                return True
            except self._errors as exc:
                code = _code(exc)
                if code in _EXISTS:
                    return False
                if code not in _RETRY_CONFLICT or attempt == attempts - 1:
                    raise _neutral(exc, f"put-if-absent {self._where(key)}") from exc
            time.sleep(0.05 * 2**attempt)
        raise AssertionError("unreachable")

    def put(self, key: str, data: Body, *, content_type: str | None = None) -> ObjectInfo:
        body = as_bytes(data)
        extra = {"ContentType": content_type} if content_type else {}
        try:
            response = self.client.put_object(Bucket=self.bucket, Key=key, Body=body, **extra)
        except self._errors as exc:
            raise _neutral(exc, f"put {self._where(key)}") from exc
        return ObjectInfo(key, len(body), clean_etag(response.get("ETag")), None, content_type or "binary/octet-stream")

    def head(self, key: str) -> ObjectInfo:
        try:
            r = self.client.head_object(Bucket=self.bucket, Key=key)
        except self._errors as exc:
            raise _neutral(exc, f"head {self._where(key)}") from exc
        return ObjectInfo(
            key,
            int(r.get("ContentLength", 0)),
            clean_etag(r.get("ETag")),
            r.get("LastModified"),
            r.get("ContentType", ""),
        )

    def delete(self, key: str) -> None:
        try:
            self.client.delete_object(Bucket=self.bucket, Key=key)
        except self._errors as exc:
            raise _neutral(exc, f"delete {self._where(key)}") from exc

    def list(self, prefix: str = "", *, limit: int | None = None) -> Iterator[ObjectInfo]:
        remaining = limit
        kwargs: dict[str, Any] = {"Bucket": self.bucket, "Prefix": prefix}
        while remaining is None or remaining > 0:
            kwargs["MaxKeys"] = self.page_size if remaining is None else min(remaining, self.page_size)
            try:
                page = self.client.list_objects_v2(**kwargs)
            except self._errors as exc:
                raise _neutral(exc, f"list s3://{self.bucket}/{prefix}*") from exc
            for item in page.get("Contents", []):
                yield ObjectInfo(
                    item["Key"], int(item.get("Size", 0)), clean_etag(item.get("ETag")), item.get("LastModified")
                )
                if remaining is not None:
                    remaining -= 1
            token = page.get("NextContinuationToken")
            if not page.get("IsTruncated") or not token:
                return
            kwargs["ContinuationToken"] = token
