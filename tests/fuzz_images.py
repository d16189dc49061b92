"""Hostile image bytes for the thumbnailer: seeds in four formats, mutated with a fixed seed.

Used by tests/test_thumbnailer_logic.py (a bounded count) and benchmarks/bench_fuzz_thumbnails.py
(a bounded time). A *crash* is any exception other than ``ImageProblem`` out of
``make_thumbnail``: that would fail the whole batch.
"""

from __future__ import annotations

import io
import random
import struct
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from images import two_tone
from PIL import Image


def _exif_tiff(entries: list[tuple[int, int, int, bytes]]) -> bytes:
    """A big-endian TIFF header with one IFD of ``(tag, type, count, 4-byte value)`` entries."""
    ifd = struct.pack(">H", len(entries)) + b"".join(
        struct.pack(">HHI", t, ty, c) + v[:4].ljust(4, b"\0") for t, ty, c, v in entries
    )
    return b"MM\x00\x2a\x00\x00\x00\x08" + ifd + b"\x00\x00\x00\x00"


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png_with_exif_chunk(exif: bytes) -> bytes:
    """A valid PNG with an ``eXIf`` chunk holding ``exif`` (the PNG spec says: a TIFF header)."""
    out = io.BytesIO()
    two_tone(60, 40).save(out, "PNG")
    data = out.getvalue()
    at = data.index(b"IDAT") - 4
    return data[:at] + _png_chunk(b"eXIf", exif) + data[at:]


def jpeg_with_exif(exif: bytes) -> bytes:
    out = io.BytesIO()
    two_tone(60, 40).save(out, "JPEG", exif=b"Exif\x00\x00" + exif)
    return out.getvalue()


def mpo(width: int = 120, height: int = 80) -> bytes:
    """A camera-style JPEG with a second (preview) image: Pillow reads it as MPO."""
    out = io.BytesIO()
    two_tone(width, height).save(out, "MPO", save_all=True, append_images=[two_tone(width // 4, height // 4)])
    return out.getvalue()


def seeds() -> dict[str, bytes]:
    """Small valid files in each format the function accepts, plus EXIF-bearing ones."""
    out: dict[str, bytes] = {}
    for fmt, mode, extra in (
        ("JPEG", "RGB", {"exif": Image.Exif().tobytes()}),
        ("PNG", "RGBA", {}),
        ("WEBP", "RGB", {}),
        ("GIF", "P", {}),
    ):
        buf = io.BytesIO()
        img = two_tone(48, 32, "RGBA" if mode == "RGBA" else "RGB")
        (img.convert("P") if mode == "P" else img).save(buf, fmt, **extra)
        out[fmt] = buf.getvalue()
    orientation = _exif_tiff([(0x0112, 3, 1, b"\x00\x06")])
    out["JPEG+EXIF"] = jpeg_with_exif(orientation)
    out["PNG+eXIf"] = png_with_exif_chunk(orientation)
    out["MPO"] = mpo()
    return out


def mutate(data: bytes, rng: random.Random) -> bytes:
    """One to a few random edits: flip bytes, overwrite a run, truncate, duplicate a slice."""
    buf = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        op = rng.randrange(5)
        at = rng.randrange(len(buf)) if buf else 0
        if op == 0 and buf:
            buf[at] ^= 1 << rng.randrange(8)
        elif op == 1 and buf:
            buf[at : at + 4] = bytes(rng.choice((0, 0xFF, 0x7F, 0x80, rng.randrange(256))) for _ in range(4))
        elif op == 2:
            del buf[rng.randrange(len(buf) + 1) :]
        elif op == 3 and buf:
            end = min(len(buf), at + rng.randint(1, 64))
            buf[at:at] = buf[at:end]
        else:
            buf[at:at] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 8)))
    return bytes(buf)


@dataclass
class FuzzResult:
    tried: dict[str, int] = field(default_factory=dict)
    thumbnails: dict[str, int] = field(default_factory=dict)
    problems: dict[str, int] = field(default_factory=dict)
    crashes: list[tuple[str, int, str]] = field(default_factory=list)  # (seed, case, exception)
    elapsed_s: float = 0.0


# The EXIF payload mutated *inside* a well-formed container (valid JPEG segment, PNG chunk with
# a correct CRC), so the hostile bytes reach the EXIF parser and ImageOps.exif_transpose.
_EXIF_INSIDE: dict[str, Callable[[bytes], bytes]] = {"JPEG exif": jpeg_with_exif, "PNG exif": png_with_exif_chunk}
_ORIENTATION = _exif_tiff([(0x0112, 3, 1, b"\x00\x06"), (0x8769, 4, 1, b"\x00\x00\x00\x1a")])


def cases(seed: int) -> Iterator[tuple[str, int, bytes]]:
    rng = random.Random(seed)
    originals = seeds()
    names = sorted(originals) + sorted(_EXIF_INSIDE)
    i = 0
    while True:
        name = names[i % len(names)]
        if name in _EXIF_INSIDE:
            yield name, i, _EXIF_INSIDE[name](mutate(_ORIENTATION, rng))
        else:
            yield name, i, mutate(originals[name], rng)
        i += 1


def fuzz(
    make: Callable[[bytes], object],
    problem: type[Exception],
    *,
    seed: int = 11,
    max_cases: int | None = None,
    max_seconds: float | None = None,
) -> FuzzResult:
    """Run ``make`` on mutated seeds until ``max_cases`` or ``max_seconds``, whichever comes first."""
    result = FuzzResult()
    started = time.monotonic()
    for name, i, data in cases(seed):
        if max_cases is not None and i >= max_cases:
            break
        if max_seconds is not None and time.monotonic() - started >= max_seconds:
            break
        result.tried[name] = result.tried.get(name, 0) + 1
        try:
            make(data)
        except problem:
            result.problems[name] = result.problems.get(name, 0) + 1
        except Exception as exc:  # a crash: what the fuzzing exists to find
            result.crashes.append((name, i, f"{type(exc).__name__}: {exc}"[:200]))
        else:
            result.thumbnails[name] = result.thumbnails.get(name, 0) + 1
    result.elapsed_s = time.monotonic() - started
    return result
