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
bucket, ``PermissionDeniedError``, ``ThrottledError``, ``ConflictError``, ``TooLargeError``,
``DriverError``), chained to the vendor error; a dropped connection, a timeout or missing
credentials is a ``DriverError`` too, never an SDK exception.

Two operations exist for robustness:

- ``get(key, max_bytes=n)`` refuses an object larger than ``n`` bytes with ``TooLargeError``
  after reading at most ``n + 1`` bytes of it (the declared length is checked first), so a
  function's memory is bounded by its own limit, not by what someone uploaded;
- ``put_if_absent(key, data)`` creates the object only if the key is free, atomically on the
  server (S3 ``If-None-Match: *``; OSS ``x-oss-forbid-overwrite: true``), and says which
  happened: the building block of :class:`cloudfn.batch.ObjectStoreIdempotency`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime

from cloudfn import settings
from cloudfn.errors import TooLargeError

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


def check_size(size: int | None, max_bytes: int | None, what: str) -> None:
    """``TooLargeError`` when a known ``size`` exceeds ``max_bytes`` (None: no bound)."""
    if max_bytes is not None and size is not None and size > max_bytes:
        raise TooLargeError(f"{what}: object is {size} bytes; at most {max_bytes} are read", size=size, limit=max_bytes)


def read_bounded(chunks: Iterable[bytes], max_bytes: int | None, what: str) -> bytes:
    """Join ``chunks``, stopping with ``TooLargeError`` as soon as more than ``max_bytes`` arrived."""
    parts: list[bytes] = []
    total = 0
    for chunk in chunks:
        total += len(chunk)
        if max_bytes is not None and total > max_bytes:
            raise TooLargeError(f"{what}: object is over {max_bytes} bytes; reading stopped", limit=max_bytes)
        parts.append(chunk)
    return b"".join(parts)


def clean_etag(value: object) -> str:
    return str(value or "").strip('"').lower()


class ObjectStore(ABC):
    """Objects of one bucket."""

    bucket: str

    @abstractmethod
    def get(self, key: str, *, max_bytes: int | None = None) -> bytes:
        """The object's content; ``NotFoundError`` if there is no such key, ``TooLargeError``
        (having read at most ``max_bytes + 1`` bytes) if it is larger than ``max_bytes``."""

    @abstractmethod
    def put(self, key: str, data: Body, *, content_type: str | None = None) -> ObjectInfo:
        """Create or replace the object (``str`` is stored as UTF-8)."""

    @abstractmethod
    def put_if_absent(self, key: str, data: Body, *, content_type: str | None = None) -> bool:
        """Create the object only if ``key`` does not exist, atomically: True if this call
        created it, False if it already existed (nothing written)."""

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
