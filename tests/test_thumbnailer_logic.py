"""The thumbnail service against in-memory drivers, with real generated images."""

from __future__ import annotations

import io
import json
import logging
from datetime import datetime, timezone

import pytest
from conftest import load_function_module
from fuzz_images import fuzz, jpeg_with_exif, mpo, png_with_exif_chunk
from images import jpeg, pixel_bomb, png
from PIL import Image

from cloudfn import Invocation
from cloudfn.errors import DriverError
from cloudfn.events.objects import ObjectCreated
from cloudfn.testing import MemoryMessaging, MemoryObjectStore

load_function_module("thumbnailer", "thumbnailer")
from thumbnailer.images import MAX_BYTES, ImageProblem, make_thumbnail  # noqa: E402
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


# -- hostile input (issue 11, points 1-3) --------------------------------------------------------
class _SpyStore(MemoryObjectStore):
    """Records every read with its bound; ``fail_put`` makes writes fail like a dropped connection."""

    def __init__(self, objects: dict[str, bytes], fail_put: bool = False) -> None:
        self.reads: list[tuple[str, int | None]] = []
        self.fail_put = fail_put
        super().__init__("b", objects)

    def get(self, key: str, *, max_bytes: int | None = None) -> bytes:
        self.reads.append((key, max_bytes))
        return super().get(key, max_bytes=max_bytes)

    def put(self, key, data, *, content_type=None):
        if self.fail_put and key.startswith("thumbnails/"):
            raise DriverError(f"put {key}: connection reset by peer")
        return super().put(key, data, content_type=content_type)


@pytest.mark.filterwarnings("ignore::UserWarning")  # Pillow warns about each corrupt EXIF it skips
def test_fuzzed_images_only_ever_become_problems_or_thumbnails() -> None:
    # Fixed seed, bounded count: mutated JPEG/PNG/WebP/GIF/MPO files and hostile EXIF payloads
    # inside well-formed JPEG and PNG containers. benchmarks/bench_fuzz_thumbnails.py runs the
    # same fuzzer for a bounded time and prints the table.
    result = fuzz(make_thumbnail, ImageProblem, seed=11, max_cases=450)
    assert result.crashes == []
    assert sum(result.tried.values()) == 450
    assert set(result.tried) == {"GIF", "JPEG", "JPEG+EXIF", "MPO", "PNG", "PNG+eXIf", "WEBP", "JPEG exif", "PNG exif"}
    # Both outcomes occur, and the path that used to crash (a non-TIFF eXIf chunk) is a problem.
    assert result.problems.get("PNG exif", 0) > 0 and sum(result.thumbnails.values()) > 0


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_a_non_tiff_exif_chunk_is_one_reported_problem_and_the_batch_goes_on() -> None:
    messaging = MemoryMessaging()
    bad_png = png_with_exif_chunk(b"not a TIFF header")
    truncated_exif = jpeg_with_exif(b"MM\x00\x2a\x00\x00\x00\x08\x00\x05\x01\x12")  # IFD cut short
    service, store = _service({"images/ok.jpg": jpeg(), "images/bad.png": bad_png, "images/t.jpg": truncated_exif})
    service.messaging = messaging
    result = service.handle([_event("images/ok.jpg"), _event("images/bad.png"), _event("images/t.jpg")], INV)
    assert [t["source"] for t in result["thumbnails"]] == ["images/ok.jpg", "images/t.jpg"]
    assert [p["source"] for p in result["problems"]] == ["images/bad.png"]
    assert "not a TIFF file" in result["problems"][0]["reason"]
    assert len(messaging.sent) == 1 and store.head("thumbnails/ok.jpg").content_type == "image/jpeg"


def test_a_camera_jpeg_with_a_preview_image_mpo_is_thumbnailed_as_jpeg() -> None:
    data = mpo(400, 200)
    assert Image.open(io.BytesIO(data)).format == "MPO"  # what Pillow calls it
    service, store = _service({"images/camera.jpg": data})
    result = service.handle([_event("images/camera.jpg")], INV)
    assert result["problems"] == []
    assert result["thumbnails"][0]["format"] == "JPEG"
    thumb = store.get("thumbnails/camera.jpg")
    img = Image.open(io.BytesIO(thumb))
    assert (img.format, img.size) == ("JPEG", (200, 200))
    assert store.head("thumbnails/camera.jpg").content_type == "image/jpeg"
    assert _dominant(img, (30, 100)) == "red" and _dominant(img, (170, 100)) == "blue"  # the first frame


def test_an_object_over_the_limit_is_refused_from_the_event_size_without_reading_it() -> None:
    store = _SpyStore({"images/huge.jpg": b"not really 200 MB", "images/ok.jpg": jpeg()})
    service = ThumbnailService(store, MemoryMessaging(), "results")
    huge = ObjectCreated(
        "b", "images/huge.jpg", 200 * 1024 * 1024, "e", datetime(2026, 1, 1, tzinfo=timezone.utc), "aws"
    )
    result = service.handle([huge, _event("images/ok.jpg")], INV)
    assert result["problems"] == [
        {"source": "images/huge.jpg", "reason": f"file is {200 * 1024 * 1024} bytes; at most {MAX_BYTES} are processed"}
    ]
    assert store.reads == [("images/ok.jpg", MAX_BYTES)]  # never read, and the other read is bounded


def test_an_object_larger_than_its_event_says_is_cut_by_the_bounded_read() -> None:
    # The event's size is absent or stale (the key was overwritten since): the read itself stops.
    store = _SpyStore({"images/grown.png": b"\0" * (MAX_BYTES + 1)})
    service = ThumbnailService(store, MemoryMessaging(), "results")
    result = service.handle([_event("images/grown.png")], INV)  # the event says 1 byte
    assert store.reads == [("images/grown.png", MAX_BYTES)]
    assert result["thumbnails"] == []
    assert result["problems"][0]["reason"].endswith(f"object is {MAX_BYTES + 1} bytes; at most {MAX_BYTES} are read")


def test_a_failed_thumbnail_write_raises_so_the_platform_retries() -> None:
    store = _SpyStore({"images/a.jpg": jpeg()}, fail_put=True)
    messaging = MemoryMessaging()
    with pytest.raises(DriverError, match="connection reset"):
        ThumbnailService(store, messaging, "results").handle([_event("images/a.jpg")], INV)
    assert messaging.sent == []  # no report claiming a thumbnail that was never written


def test_a_thumbnail_key_is_skipped_with_a_reason_that_names_the_output_prefix() -> None:
    # The program refuses overlapping prefixes; should a function still see a key under its own
    # output prefix, the reason says so instead of claiming the key is outside the input prefix.
    store = MemoryObjectStore("b", {"images/a.jpg": jpeg(), "thumbnails/a.jpg": jpeg()})
    service = ThumbnailService(store, MemoryMessaging(), "results", input_prefix="", output_prefix="thumbnails/")
    result = service.handle([_event("thumbnails/a.jpg"), _event("other/b.jpg")], INV)
    assert result["problems"][0] == {
        "source": "thumbnails/a.jpg",
        "reason": "key is under the output prefix 'thumbnails/': a thumbnail, not processed",
    }
    assert result["problems"][1] == {"source": "other/b.jpg", "reason": "no object 'other/b.jpg' in bucket 'b'"}
