"""Where function code lives: content-addressed artifacts, one private bucket per stack.

Pulumi keeps every resource input in the stack's state. A zip passed inline (FC's
``code.zipFile``, base64) therefore puts the whole package into the state, into every checkpoint
the engine writes, and into previews. Instead:

- **Alibaba Cloud**: every zip is uploaded to the stack's artifact bucket (OSS) as
  ``<function>/<sha256>.zip``, and ``V3Function.code`` names that bucket and object, with FC's
  CRC-64 ``checksum``. The state holds the key, a path and the hashes: a few hundred bytes.
- **AWS**: a zip within Lambda's direct-upload limit stays a ``FileArchive`` (the state already
  holds only its hash); a larger one goes to the stack's artifact bucket (S3) and the function
  takes ``s3_bucket``/``s3_key`` with ``source_code_hash``. The bucket exists only when some
  function needs it.

A changed zip is a new key, so its object is *replaced*: Pulumi creates the new object, updates
the function to it, and deletes the old object only after that (create-before-delete, Pulumi's
default for replacements, which the backends state explicitly). An unchanged zip gives the same
key, path and hashes: no diff.

Sizes are checked here, before any resource of the function exists (:data:`LIMITS`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import pulumi

from components.content import CodeArtifact, describe, sha256_of, signature
from components.paths import project_dir

if TYPE_CHECKING:
    from components.app import Application

TYPE = "multicloud:index:ArtifactStore"
MiB = 1024 * 1024


@dataclass(frozen=True)
class CodeLimits:
    """What one cloud accepts. ``None``: no such path, or no documented limit."""

    direct_zip: int | None  # largest zip the function API takes inline; larger ones go to the bucket
    stored_zip: int | None  # largest zip the function takes from the bucket
    unzipped: int | None  # largest unzipped package
    source: str


LIMITS = {
    # Lambda quotas: 50 MB zipped for a direct upload, larger through S3; 250 MB unzipped,
    # layers included (this program deploys no layers). GetAccountSettings reports them in bytes:
    # CodeSizeZipped 52428800, CodeSizeUnzipped 262144000.
    "aws": CodeLimits(
        direct_zip=50 * MiB,
        stored_zip=None,
        unzipped=250 * MiB,
        source="Lambda quotas: 50 MB zipped for a direct upload, 250 MB unzipped",
    ),
    # FC 3.0 limits of usage (2025): 100 MB for a package sent through the API (ZIP, base64),
    # 500 MB for one FC fetches from OSS. FC documents no unzipped limit. Every zip goes through
    # OSS here (never inline), so 500 MB applies; decimal megabytes, the smaller reading.
    "ali": CodeLimits(
        direct_zip=None,
        stored_zip=500 * 1000 * 1000,
        unzipped=None,
        source="FC 3.0 limits: 500 MB zipped for a package in OSS",
    ),
}


class ArtifactBucket(Protocol):
    """What a cloud's artifact bucket offers once created."""

    bucket_name: pulumi.Output[str]

    def function_code(self, fn: pulumi.Resource, name: str, code: CodeArtifact) -> dict[str, Any]:
        """Upload ``code`` as the object ``code.key`` (a child of ``fn`` named ``name``) and
        return the function resource's code inputs pointing at it."""
        ...


class ArtifactBackend(Protocol):
    """The contract of a cloud's artifact backend (``app.backend("ArtifactStore")``)."""

    def create_bucket(self, component: pulumi.Resource, name: str, keep: bool) -> ArtifactBucket:
        """The private, encrypted bucket; ``keep``: retained on destroy, not force-destroyed."""
        ...

    def direct_code(self, code: CodeArtifact) -> dict[str, Any]:
        """The function's code inputs without the bucket (only where ``LIMITS`` allows it)."""
        ...


def _mb(n: int) -> str:
    return f"{n / MiB:.1f} MiB ({n} bytes)"


def check_limits(code: CodeArtifact, cloud: str) -> None:
    """``RunError`` naming the function, the size and the limit, if the cloud would refuse it."""
    limits = LIMITS[cloud]
    largest_zip = limits.stored_zip
    if largest_zip is not None and code.size > largest_zip:
        raise pulumi.RunError(
            f"function '{code.function}': its zip is {_mb(code.size)}, above the {_mb(largest_zip)} "
            f"the cloud accepts ({limits.source}); trim its dependencies"
        )
    if limits.unzipped is not None and code.unzipped > limits.unzipped:
        raise pulumi.RunError(
            f"function '{code.function}': its code is {_mb(code.unzipped)} unzipped, above the "
            f"{_mb(limits.unzipped)} the cloud accepts ({limits.source}); trim its dependencies"
        )


def needs_store(code: CodeArtifact, cloud: str) -> bool:
    direct = LIMITS[cloud].direct_zip
    return direct is None or code.size > direct


def verify(code: CodeArtifact) -> None:
    """Check the zip right before it is handed to Pulumi: a zip changed since it was described
    (another build, an editor, a copy over it) must not be deployed under the old hash. While its
    stat signature is the one recorded when its bytes were hashed, it holds those bytes (a write
    changes size, mtime or ctime; ctime cannot be set back); otherwise it is hashed again."""
    if code.signature is not None and signature(code.path) == code.signature:
        return
    actual = sha256_of(code.path)
    if actual != code.sha256_hex:
        raise pulumi.RunError(
            f"function '{code.function}': its zip {code.path} changed after it was built "
            f"(sha256 {actual}, expected {code.sha256_hex}); run the program again to rebuild it"
        )


class ArtifactStore(pulumi.ComponentResource):
    """The stack's artifact bucket: function zips stored by content.

    AWS creates (only once some zip exceeds Lambda's direct-upload limit):
      - an S3 bucket, encrypted (SSE-S3), all four public-access blocks on, object ownership
        enforced, ``force_destroy`` unless ``keepArtifacts``;
      - per function that needs it, an object ``<function>/<sha256>.zip`` (``BucketObjectv2``).
    Alibaba Cloud creates:
      - an OSS bucket, encrypted (AES256), ACL private, public access blocked,
        ``force_destroy`` unless ``keepArtifacts``;
      - per function, an object ``<function>/<sha256>.zip`` with ``Content-MD5``.
    No function is granted any access to it: the deploying identity uploads, and the function
    service fetches the code on that identity's behalf at create/update time.
    """

    def __init__(self, app: Application, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TYPE, "artifacts", None, opts)
        # Default bucket names are "<logical>-<suffix>" with no "--", so this one cannot collide
        # with a Bucket of this program that keeps its default name.
        self.name = f"artifacts--{app.names.suffix}"
        self.keep = app.settings.keep_artifacts
        backend: ArtifactBackend = app.backend("ArtifactStore")
        self.native: ArtifactBucket = backend.create_bucket(self, self.name, keep=self.keep)
        self.bucket_name: pulumi.Output[str] = self.native.bucket_name
        self.register_outputs({"bucket_name": self.bucket_name})


def store_for(app: Application) -> ArtifactStore:
    """The stack's artifact store, created by the first function that needs it."""
    return app.shared("ArtifactStore", lambda: ArtifactStore(app))


def prepare(function: str, zip_path: Any, cloud: str, cache_dir: Any, base: Any = None) -> CodeArtifact:
    """Describe a function's zip by content (``base``: the program's directory, by default
    ``project_dir()``) and check it against the cloud's limits."""
    code = describe(function, zip_path, cache_dir, base or project_dir())
    check_limits(code, cloud)
    return code


def code_inputs(fn: Any, app: Application, code: CodeArtifact) -> dict[str, Any]:
    """The function resource's code inputs for ``app``'s cloud, uploading the zip if it must be
    stored. ``fn`` is the ServerlessFunction: the object is its child, named after it."""
    # Once per zip and run: functions sharing a code folder hand over the same file.
    app.shared(("verified zip", str(code.path), code.sha256_hex), lambda: verify(code))
    if not needs_store(code, app.cloud):
        backend: ArtifactBackend = app.backend("ArtifactStore")
        return backend.direct_code(code)
    store = store_for(app)
    return store.native.function_code(fn, f"{fn.logical_name}-code", code)
