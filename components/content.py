"""What a deployment zip is, by content: its hashes, its sizes, and the key it is stored under.

A leaf module (no Pulumi, no cloud SDK), shared by the neutral artifact layer and both backends.

- ``sha256``: names the object (``<function>/<sha256>.zip``) and is Lambda's ``source_code_hash``.
- ``md5``: OSS's ``Content-MD5``; OSS refuses an upload whose body does not match it.
- ``crc64``: CRC-64/ECMA-182 as OSS computes it (``x-oss-hash-crc64ecma``), FC's code
  ``checksum``: FC checks the object it fetches against it.
- ``unzipped``: the sum of the entries' sizes, what the platforms' unzipped limits count.

Hashing a large zip is not free (the CRC above all, in pure Python), so the values are kept in a
sidecar beside the zip, keyed on its stat signature (size, times, inode), and computed once per
build.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import struct
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

from components.files import replace_file

# CRC-64/XZ: the ECMA-182 polynomial 0x42F0E1EBA9EA3693, reflected, initial value and final XOR
# all ones. This is what OSS calls crc64ecma (and Go's hash/crc64 with the ECMA table computes).
_POLY_REFLECTED = 0xC96C5795D7870F42
_MASK = 0xFFFFFFFFFFFFFFFF


def _tables() -> tuple[list[int], ...]:
    base = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ _POLY_REFLECTED if c & 1 else c >> 1
        base.append(c)
    tables = [base]
    for _ in range(7):  # slicing-by-8: table k advances a byte through k more zero bytes
        prev = tables[-1]
        tables.append([(prev[i] >> 8) ^ base[prev[i] & 0xFF] for i in range(256)])
    return tuple(tables)


_T = _tables()


def crc64_ecma(data: bytes, crc: int = 0) -> int:
    """CRC-64/ECMA-182 as OSS computes it; ``crc`` continues an earlier result (streaming)."""
    t0, t1, t2, t3, t4, t5, t6, t7 = _T
    crc ^= _MASK
    view = memoryview(data)
    whole = len(view) - len(view) % 8
    # Eight bytes per step (slicing-by-8): about 1.6x the speed of a byte loop in CPython.
    for (word,) in struct.iter_unpack("<Q", view[:whole]):
        crc ^= word
        crc = (
            t7[crc & 0xFF]
            ^ t6[(crc >> 8) & 0xFF]
            ^ t5[(crc >> 16) & 0xFF]
            ^ t4[(crc >> 24) & 0xFF]
            ^ t3[(crc >> 32) & 0xFF]
            ^ t2[(crc >> 40) & 0xFF]
            ^ t1[(crc >> 48) & 0xFF]
            ^ t0[crc >> 56]
        )
    for byte in view[whole:]:
        crc = t0[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ _MASK


_CHUNK = 1 << 20


def _digests(path: Path) -> dict[str, str]:
    sha, md5, crc = hashlib.sha256(), hashlib.md5(usedforsecurity=False), 0
    with path.open("rb") as f:
        while chunk := f.read(_CHUNK):
            sha.update(chunk)
            md5.update(chunk)
            crc = crc64_ecma(chunk, crc)
    return {"sha256": sha.hexdigest(), "md5": md5.hexdigest(), "crc64": str(crc)}


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass(frozen=True)
class CodeArtifact:
    """One function's zip, described by content. ``path`` is its content-addressed copy."""

    function: str
    path: Path
    size: int
    unzipped: int
    sha256_hex: str
    md5_hex: str
    crc64: str  # decimal, as OSS prints x-oss-hash-crc64ecma and FC takes ``checksum``
    base: Path | None = None  # the program's directory, if known
    # ``path``'s signature when its bytes were last known to hash to ``sha256_hex`` (None: check
    # by hashing; see describe()).
    signature: tuple[int, ...] | None = None

    @property
    def key(self) -> str:
        """The object key: the function's name, then the content's hash. A changed zip is a new
        key; the function's name keeps two functions with identical zips from sharing (and
        deleting) one object."""
        return f"{self.function}/{self.sha256_hex}.zip"

    @property
    def sha256_b64(self) -> str:
        return base64.b64encode(bytes.fromhex(self.sha256_hex)).decode()

    @property
    def md5_b64(self) -> str:
        return base64.b64encode(bytes.fromhex(self.md5_hex)).decode()

    @property
    def source(self) -> str:
        """The path handed to Pulumi: relative to the program's directory when the zip lies
        under it (the default ``.build/``), so another checkout of the same code gives the same
        input and no diff; absolute otherwise. Pulumi runs the program and starts the providers
        in that directory, so both resolve it alike."""
        try:
            return self.path.relative_to(self.base or Path.cwd()).as_posix()
        except ValueError:
            return str(self.path)


# A signature taken within this long of the file's last change is not trusted: a write in the
# same clock tick would leave size and times as they were (git's "racily clean" index entries).
RACY_NS = 2 * 10**9


def signature(path: Path) -> tuple[int, int, int, int, int]:
    """What changes whenever a file's bytes do: size, mtime, inode, device, and ctime, which no
    tool can set back (``touch -r``, ``cp -p`` and checkouts restore mtime, never ctime)."""
    st = path.stat()
    return (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev)


def _settled(sig: tuple[int, ...]) -> bool:
    return sig[2] < time.time_ns() - RACY_NS


def describe(function: str, zip_path: Path, cache_dir: Path, base: Path | None = None) -> CodeArtifact:
    """The zip's hashes and sizes, and a copy of it at ``<cache>/content/<sha256>.zip``: a path
    that depends on nothing but the content.

    The values come from the zip's sidecar while the zip's :func:`signature` is the one recorded
    when it was hashed; otherwise the zip is hashed again. The content copy's signature is
    recorded the same way, once its bytes are known to be the hashed ones, and travels with the
    result (``CodeArtifact.signature``) so the check before hand-over is a ``stat``, not a re-hash
    of every zip on every run (a 250 MB Lambda package would cost a visible share of a preview).
    """
    sidecar = zip_path.with_name(zip_path.name + ".content.json")
    zip_sig = signature(zip_path)
    meta: dict | None = None
    try:
        found = json.loads(sidecar.read_text())
        if found["signature"] == list(zip_sig) and len(found["sha256"]) == 64:
            meta = found
    except (OSError, ValueError, KeyError, TypeError):
        pass
    rewrite = meta is None
    if meta is None:
        with zipfile.ZipFile(zip_path) as zf:
            unzipped = sum(info.file_size for info in zf.infolist())
        meta = {"size": zip_sig[0], "unzipped": unzipped, **_digests(zip_path)}
    stored = cache_dir / "content" / f"{meta['sha256']}.zip"
    stored_sig = signature(stored) if stored.is_file() else None
    if stored_sig is None or list(stored_sig) != meta.get("stored_signature"):
        # Not known to hold the hashed bytes: check it, or make it again from the zip.
        if stored_sig is None or stored_sig[0] != meta["size"] or sha256_of(stored) != meta["sha256"]:
            stored.parent.mkdir(parents=True, exist_ok=True)
            tmp = stored.with_name(f"{stored.name}.{os.getpid()}.tmp")
            try:
                os.link(zip_path, tmp)  # same bytes, no copy, where the file system allows it
            except OSError:
                shutil.copyfile(zip_path, tmp)
            tmp.replace(stored)
        stored_sig = signature(stored)
        meta["stored_signature"] = list(stored_sig) if _settled(stored_sig) else None
        rewrite = True
    if rewrite:
        # Taken last: linking changes the zip's ctime. A racy signature is not recorded, so the
        # next run hashes again rather than trust it.
        zip_sig = signature(zip_path)
        meta["signature"] = list(zip_sig) if _settled(zip_sig) else None
        replace_file(sidecar, json.dumps(meta))
    return CodeArtifact(
        function=function,
        path=stored,
        size=meta["size"],
        unzipped=meta["unzipped"],
        sha256_hex=meta["sha256"],
        md5_hex=meta["md5"],
        crc64=meta["crc64"],
        base=base,
        signature=tuple(meta["stored_signature"]) if meta.get("stored_signature") else None,
    )
