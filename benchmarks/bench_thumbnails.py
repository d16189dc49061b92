"""Images per second through the whole thumbnail service (in-memory drivers) vs a bare Pillow loop.

    python benchmarks/bench_thumbnails.py

Both do the same work per image: decode, EXIF-transpose, cover-crop to 200x200 with LANCZOS, encode
in the source format. The service adds event handling, driver calls and the result message.
Target: the service reaches >= 95% of the bare loop's throughput.
"""

from __future__ import annotations

import io
import logging
import statistics
import time
from datetime import datetime, timezone

from _env import ROOT, machine, table
from conftest import load_function_module
from images import jpeg, png
from PIL import Image, ImageOps

from cloudfn import Invocation
from cloudfn.events.objects import ObjectCreated
from cloudfn.testing import MemoryMessaging, MemoryObjectStore

load_function_module("thumbnailer", "thumbnailer")
from thumbnailer.service import ThumbnailService  # noqa: E402

BATCH = 20
ROUNDS = 5


def corpus() -> dict[str, bytes]:
    images = {}
    for i in range(BATCH):
        images[f"images/p{i}.jpg" if i % 2 == 0 else f"images/p{i}.png"] = (
            jpeg(1600, 1200, orientation=6) if i % 2 == 0 else png(1200, 900)
        )
    return images


def bare(images: dict[str, bytes]) -> None:
    for data in images.values():
        img = Image.open(io.BytesIO(data))
        fmt = img.format
        thumb = ImageOps.fit(ImageOps.exif_transpose(img), (200, 200), method=Image.Resampling.LANCZOS)
        out = io.BytesIO()
        thumb.save(out, format=fmt, **({"quality": 85, "optimize": True} if fmt == "JPEG" else {"optimize": True}))


def through_service(images: dict[str, bytes]) -> None:
    service = ThumbnailService(MemoryObjectStore("b", images), MemoryMessaging(), "results")
    now = datetime.now(timezone.utc)
    events = [ObjectCreated("b", k, len(v), "e", now, "aws") for k, v in images.items()]
    inv = Invocation("r", "thumbnailer", "aws", "", logging.getLogger("bench"))
    result = service.handle(events, inv)
    assert len(result["thumbnails"]) == BATCH


def rate(fn, images: dict[str, bytes]) -> float:
    fn(images)  # warm
    runs = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        fn(images)
        runs.append(BATCH / (time.perf_counter() - start))
    return statistics.median(runs)


def main() -> None:
    logging.getLogger("bench").setLevel(logging.WARNING)
    images = corpus()
    # Interleave to share the machine's noise fairly between both.
    bare_rates, service_rates = [], []
    for _ in range(3):
        bare_rates.append(rate(bare, images))
        service_rates.append(rate(through_service, images))
    b, s = statistics.median(bare_rates), statistics.median(service_rates)
    print(f"Machine: {machine()} ({ROOT.name})")
    print(f"{BATCH} images per batch (1600x1200 JPEG with EXIF orientation, 1200x900 RGBA PNG), median of runs\n")
    print(
        table(
            ["path", "images/s", "relative", ">= 95 %"],
            [
                ["bare Pillow loop", f"{b:.1f}", "100.0 %", ""],
                [
                    "ThumbnailService (in-memory drivers)",
                    f"{s:.1f}",
                    f"{s / b * 100:.1f} %",
                    "yes" if s / b >= 0.95 else "NO",
                ],
            ],
        )
    )


if __name__ == "__main__":
    main()
