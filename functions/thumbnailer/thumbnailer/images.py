"""Pillow work, kept apart from I/O so it can be measured and tested on its own.

Everything here is a pure function of the bytes it is given: any failure while decoding,
orienting or encoding one image is that file's problem (:class:`ImageProblem`), never the
batch's. Hostile files (truncated, mutated, malformed EXIF, decompression bombs) come out as a
reported problem; ``benchmarks/bench_fuzz_thumbnails.py`` fuzzes that claim.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps

# Formats we write back as themselves; anything else Pillow reads is reported, not guessed at.
SAVE_OPTIONS: dict[str, dict[str, object]] = {
    "JPEG": {"quality": 85, "optimize": True},
    "PNG": {"optimize": True},
    "WEBP": {"quality": 80},
    "GIF": {},
    "BMP": {},
    "TIFF": {},
}
# Formats Pillow names apart that are written as another: a camera JPEG carrying a second
# (preview or stereo) image is reported as MPO; its first frame is the photo, a JPEG.
SAVE_AS = {"MPO": "JPEG"}
# Bounds against decompression bombs: a few MB of PNG can claim gigapixels.
MAX_PIXELS = 40_000_000  # ~ a 7,300 x 5,500 photo
MAX_BYTES = 30 * 1024 * 1024


class ImageProblem(Exception):
    """This file cannot be thumbnailed; the message is the reason reported to the caller."""


@dataclass(frozen=True)
class Thumbnail:
    data: bytes
    format: str
    width: int
    height: int

    @property
    def content_type(self) -> str:
        return Image.MIME.get(self.format, "application/octet-stream")


def make_thumbnail(data: bytes, size: tuple[int, int] = (200, 200), *, max_pixels: int = MAX_PIXELS) -> Thumbnail:
    """A ``size`` cover-cropped thumbnail in the source's format, upright per its EXIF orientation.

    Raises :class:`ImageProblem`, and nothing else, for any file it cannot thumbnail.
    """
    if len(data) > MAX_BYTES:
        raise ImageProblem(f"file is {len(data)} bytes; at most {MAX_BYTES} are processed")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            return _thumbnail(data, size, max_pixels)
    except ImageProblem:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageProblem(f"image rejected as a decompression bomb: {exc}") from exc
    except Exception as exc:
        # No I/O happens in here, so whatever Pillow raises (OSError, SyntaxError, ValueError for
        # corrupt data; KeyError, TypeError, struct.error... from a malformed EXIF or chunk)
        # is about this file's bytes: report it, keep the batch.
        raise ImageProblem(f"not a readable image: {type(exc).__name__}: {exc}") from exc


def _thumbnail(data: bytes, size: tuple[int, int], max_pixels: int) -> Thumbnail:
    image = Image.open(io.BytesIO(data))
    fmt = image.format or ""
    width, height = image.size  # read from the header, before any pixel is decoded
    if width * height > max_pixels:
        raise ImageProblem(
            f"image is {width}x{height} pixels; at most {max_pixels} are processed (decompression-bomb guard)"
        )
    fmt = SAVE_AS.get(fmt, fmt)
    if fmt not in SAVE_OPTIONS:
        raise ImageProblem(f"format {fmt or 'unknown'} is not supported; use one of {', '.join(SAVE_OPTIONS)}")
    image.load()
    upright = ImageOps.exif_transpose(image)  # reads EXIF: hostile too, so inside the guard
    thumb = ImageOps.fit(upright, size, method=Image.Resampling.LANCZOS, centering=(0.5, 0.5))
    if fmt == "JPEG" and thumb.mode not in ("RGB", "L", "CMYK"):
        thumb = thumb.convert("RGB")
    out = io.BytesIO()
    thumb.save(out, format=fmt, **SAVE_OPTIONS[fmt])
    return Thumbnail(out.getvalue(), fmt, thumb.width, thumb.height)
