"""Pillow work, kept apart from I/O so it can be measured and tested on its own."""

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
    """A ``size`` cover-cropped thumbnail in the source's format, upright per its EXIF orientation."""
    if len(data) > MAX_BYTES:
        raise ImageProblem(f"file is {len(data)} bytes; at most {MAX_BYTES} are processed")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            fmt = image.format or ""
            width, height = image.size  # read from the header, before any pixel is decoded
            if width * height > max_pixels:
                raise ImageProblem(
                    f"image is {width}x{height} pixels; at most {max_pixels} are processed (decompression-bomb guard)"
                )
            if fmt not in SAVE_OPTIONS:
                raise ImageProblem(f"format {fmt or 'unknown'} is not supported; use one of {', '.join(SAVE_OPTIONS)}")
            image.load()
    except ImageProblem:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageProblem(f"image rejected as a decompression bomb: {exc}") from exc
    except (OSError, SyntaxError, ValueError) as exc:  # what Pillow raises for corrupt or non-image data
        raise ImageProblem(f"not a readable image: {exc}") from exc

    upright = ImageOps.exif_transpose(image)
    thumb = ImageOps.fit(upright, size, method=Image.Resampling.LANCZOS, centering=(0.5, 0.5))
    if fmt == "JPEG" and thumb.mode not in ("RGB", "L", "CMYK"):
        thumb = thumb.convert("RGB")
    out = io.BytesIO()
    thumb.save(out, format=fmt, **SAVE_OPTIONS[fmt])
    return Thumbnail(out.getvalue(), fmt, thumb.width, thumb.height)
