"""Real images made in the tests: JPEG with an EXIF orientation, RGBA PNG, and a pixel bomb."""

from __future__ import annotations

import io

from PIL import Image

RED, BLUE = (220, 20, 20), (20, 20, 220)


def two_tone(width: int, height: int, mode: str = "RGB") -> Image.Image:
    """Left half red, right half blue, as stored."""
    img = Image.new(mode, (width, height), RED + ((255,) if mode == "RGBA" else ()))
    img.paste(Image.new(mode, (width - width // 2, height), BLUE + ((128,) if mode == "RGBA" else ())), (width // 2, 0))
    return img


def jpeg(width: int = 400, height: int = 200, orientation: int | None = None) -> bytes:
    out = io.BytesIO()
    exif = Image.Exif()
    if orientation:
        exif[0x0112] = orientation  # Orientation
    two_tone(width, height).save(out, "JPEG", quality=95, exif=exif.tobytes())
    return out.getvalue()


def png(width: int = 300, height: int = 600) -> bytes:
    out = io.BytesIO()
    two_tone(width, height, "RGBA").save(out, "PNG")
    return out.getvalue()


def pixel_bomb(width: int = 12_000, height: int = 12_000) -> bytes:
    """144 megapixels that compress to a few kilobytes."""
    out = io.BytesIO()
    Image.new("1", (width, height)).save(out, "PNG")
    return out.getvalue()
