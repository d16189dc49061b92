"""The neutral object-storage interface and the per-cloud factory (the in-memory fake: ``cloudfn.testing``).

A store is bound to one bucket. ``from_env("files")`` builds the adapter for the cloud the
function runs on (``CLOUDFN_CLOUD``) from the settings ``bucket.grant_read(fn, "files")``
injected:

=======  ==========================  ============================================================
cloud    adapter                     settings read
=======  ==========================  ============================================================
aws      ``s3.S3ObjectStore``        ``BUCKET_<B>_NAME`` (region, credentials: Lambda's env)
ali      ``oss.OssObjectStore``      ``BUCKET_<B>_NAME``, ``_REGION``, ``_ENDPOINT``; credentials
                                     from ``ALIBABA_CLOUD_ACCESS_KEY_ID`` / ``_SECRET`` /
                                     ``ALIBABA_CLOUD_SECURITY_TOKEN`` (FC's STS credentials)
=======  ==========================  ============================================================

Every adapter raises :mod:`cloudfn.errors` types (``NotFoundError`` for a missing key or
bucket, ``PermissionDeniedError``, ``ThrottledError``, ``ConflictError``, ``DriverError``),
chained to the vendor error.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime

from cloudfn import settings

Body = bytes | bytearray | str


@dataclass(frozen=True)
class ObjectInfo:
    """What a store knows about one object. ``etag`` is lower-case hex without quotes."""

    key: str
    size: int
    etag: str
    last_modified: datetime | None = None
    content_type: str = ""


def as_bytes(data: Body) -> bytes:
    if isinstance(data, str):
        return data.encode("utf-8")
    if isinstance(data, (bytes, bytearray)):
        return bytes(data)
    raise TypeError(f"object data must be bytes or str; got {type(data).__name__}")


def clean_etag(value: object) -> str:
    return str(value or "").strip('"').lower()


class ObjectStore(ABC):
    """Objects of one bucket."""

    bucket: str

    @abstractmethod
    def get(self, key: str) -> bytes:
        """The object's content; ``NotFoundError`` if there is no such key."""

    @abstractmethod
    def put(self, key: str, data: Body, *, content_type: str | None = None) -> ObjectInfo:
        """Create or replace the object (``str`` is stored as UTF-8)."""

    @abstractmethod
    def head(self, key: str) -> ObjectInfo:
        """The object's metadata without its content; ``NotFoundError`` if absent."""

    @abstractmethod
    def delete(self, key: str) -> None:
        """Remove the object. Deleting a missing key succeeds, as on S3 and OSS."""

    @abstractmethod
    def list(self, prefix: str = "", *, limit: int | None = None) -> Iterator[ObjectInfo]:
        """Objects whose key starts with ``prefix``, in key order, following pagination."""


def from_env(binding: str, env: Mapping[str, str] | None = None) -> ObjectStore:
    """The store for ``binding`` on the cloud this function was deployed to."""
    cloud = settings.current_cloud(env)
    bucket = settings.binding("bucket", binding, "name", env)
    if cloud == "aws":
        from cloudfn.drivers.s3 import S3ObjectStore

        return S3ObjectStore(bucket)
    from cloudfn.drivers.oss import OssObjectStore

    return OssObjectStore.from_env(binding, env)
