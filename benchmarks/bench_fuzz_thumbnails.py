"""Fuzz the thumbnailer's image code for a bounded time and print what came out.

    python benchmarks/bench_fuzz_thumbnails.py [seconds] [seed]

Mutated JPEG, PNG, WebP, GIF and MPO files, and hostile EXIF payloads inside well-formed JPEG and
PNG containers (tests/fuzz_images.py), go through ``make_thumbnail``. Every input must come out as
a thumbnail or a reported ``ImageProblem``; anything else is a crash that would fail a whole
batch. Target: crashes = 0. The fixed seed makes a run repeatable.
"""

from __future__ import annotations

import sys
import warnings

from _env import machine, table
from conftest import load_function_module
from fuzz_images import fuzz

load_function_module("thumbnailer", "thumbnailer")
from thumbnailer.images import ImageProblem, make_thumbnail  # noqa: E402


def main() -> int:
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 30.0
    seed = int(sys.argv[2]) if len(sys.argv) > 2 else 11
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Pillow warns about each corrupt EXIF it skips
        result = fuzz(make_thumbnail, ImageProblem, seed=seed, max_seconds=seconds)
    rows = [
        [
            name,
            tried,
            result.problems.get(name, 0),
            result.thumbnails.get(name, 0),
            sum(c[0] == name for c in result.crashes),
        ]
        for name, tried in sorted(result.tried.items())
    ]
    total = sum(result.tried.values())
    rows.append(["all", total, sum(result.problems.values()), sum(result.thumbnails.values()), len(result.crashes)])
    print(machine())
    print(
        f"seed {seed}, time bound {seconds:.0f} s, ran {result.elapsed_s:.1f} s, "
        f"{total / result.elapsed_s:.0f} inputs/s"
    )
    print(table(["seed file", "inputs tried", "problems reported", "thumbnails", "crashes"], rows))
    for name, case, error in result.crashes[:20]:
        print(f"CRASH {name} case {case}: {error}")
    verdict = "PASS" if not result.crashes else "FAIL"
    print(f"{verdict}: crashes = {len(result.crashes)} (target 0)")
    return 0 if not result.crashes else 1


if __name__ == "__main__":
    raise SystemExit(main())
