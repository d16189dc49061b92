"""The thumbnail service against in-memory drivers, with real generated images."""

from __future__ import annotations

import io
import json
import logging
from datetime import datetime, timezone

import pytest
from conftest import load_function_module
from images import jpeg, pixel_bomb, png
from PIL import Image

from cloudfn import Invocation
from cloudfn.errors import DriverError
from cloudfn.events.objects import ObjectCreated
from cloudfn.testing import MemoryMessaging, MemoryObjectStore

load_function_module("thumbnailer", "thumbnailer")
from thumbnailer.images import ImageProblem, make_thumbnail  # noqa: E402
from thumbnailer.service import ThumbnailService  # noqa: E402

INV = Invocation("req-1", "thumbnailer", "aws", "us-east-1", logging.getLogger("test"))


def _event(key: str, bucket: str = "b") -> ObjectCreated:
    return ObjectCreated(bucket, key, 1, "etag", datetime(2026, 1, 1, tzinfo=timezone.utc), "aws")


def _service(objects: dict[str, bytes], messaging: MemoryMessaging | None = None):
    store = MemoryObjectStore("b", objects)
    return ThumbnailService(store, messaging or MemoryMessaging(), "results"), store


def _dominant(img: Image.Image, xy: tuple[int, int]) -> str:
    r, _g, b = img.convert("RGB").getpixel(xy)[:3]
    return "red" if r > b else "blue"


def test_jpeg_is_cover_cropped_upright_per_exif() -> None:
    # Stored 400x200, left red / right blue; orientation 6 means "rotate 90 degrees clockwise to
    # display", so the upright image is 200x400 with red on top and blue below.
    thumb = make_thumbnail(jpeg(400, 200, orientation=6))
    img = Image.open(io.BytesIO(thumb.data))
    assert (thumb.format, img.format, img.size) == ("JPEG", "JPEG", (200, 200))
    assert _dominant(img, (100, 30)) == "red" and _dominant(img, (100, 170)) == "blue"
    assert _dominant(img, (30, 100)) == _dominant(img, (170, 100))  # no left/right split any more


def test_without_orientation_the_stored_layout_is_kept() -> None:
    img = Image.open(io.BytesIO(make_thumbnail(jpeg(400, 200)).data))
    assert _dominant(img, (30, 100)) == "red" and _dominant(img, (170, 100)) == "blue"


def test_png_keeps_its_format_and_alpha() -> None:
    thumb = make_thumbnail(png(300, 600))
    img = Image.open(io.BytesIO(thumb.data))
    assert (img.format, img.mode, img.size) == ("PNG", "RGBA", (200, 200))
    assert thumb.content_type == "image/png"


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"this is not an image", "not a readable image"),
        (jpeg()[:300], "not a readable image"),
        (pixel_bomb(), "decompression bomb"),  # over Pillow's own limit
        (pixel_bomb(8_000, 8_000), "decompression-bomb guard"),  # under Pillow's, over ours
    ],
)
def test_unusable_files_are_problems_with_a_reason(data: bytes, reason: str) -> None:
    with pytest.raises(ImageProblem, match=reason):
        make_thumbnail(data)


def test_a_batch_saves_what_it_can_and_reports_the_rest_in_one_message() -> None:
    messaging = MemoryMessaging()
    service, store = _service(
        {"images/a.jpg": jpeg(orientation=3), "images/sub/b.png": png(), "images/broken.jpg": b"\x00garbage"},
        messaging,
    )
    events = [
        _event("images/a.jpg"),
        _event("images/sub/b.png"),
        _event("images/broken.jpg"),
        _event("images/gone.jpg"),
    ]
    result = service.handle(events, INV)
    assert [t["thumbnail"] for t in result["thumbnails"]] == ["thumbnails/a.jpg", "thumbnails/sub/b.png"]
    assert {p["source"] for p in result["problems"]} == {"images/broken.jpg", "images/gone.jpg"}
    assert Image.open(io.BytesIO(store.get("thumbnails/sub/b.png"))).size == (200, 200)
    assert store.head("thumbnails/a.jpg").content_type == "image/jpeg"
    assert len(messaging.sent) == 1
    queue, body, _ = messaging.sent[0]
    assert queue == "results"
    assert json.loads(body) == {k: v for k, v in result.items() if k != "message_id"}


def test_keys_outside_the_input_prefix_are_never_processed() -> None:
    service, store = _service({"thumbnails/a.jpg": jpeg(), "other/a.jpg": jpeg()})
    result = service.handle([_event("thumbnails/a.jpg"), _event("other/a.jpg")], INV)
    assert result["thumbnails"] == [] and len(result["problems"]) == 2
    assert sorted(o.key for o in store.list()) == ["other/a.jpg", "thumbnails/a.jpg"]


def test_a_failed_result_send_is_an_error_the_platform_retries() -> None:
    service, store = _service({"images/a.jpg": jpeg()}, MemoryMessaging(fail=True))
    with pytest.raises(DriverError, match="unavailable"):
        service.handle([_event("images/a.jpg")], INV)
    assert store.head("thumbnails/a.jpg").size > 0  # rewritten identically on the retry
