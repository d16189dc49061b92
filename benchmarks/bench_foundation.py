"""Program evaluation under Pulumi mocks, and packaging cold vs cached.

    python benchmarks/bench_foundation.py

Evaluation = config validation + every component + packaging (cache warm) + waiting until the
mock engine has registered every resource, i.e. what `pulumi preview` costs in the program's
process. Like `pulumi up`, each measurement runs the program once in a fresh process (imports
done, build cache on disk warm), so no run pays for the garbage of an earlier one.
Targets (2-core machine): sample app < 2 s per stack; t(200)/t(20) <= 12; cached packaging <= 5%
of cold.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _env import ROOT, machine, table

os.environ.setdefault("CLOUDFN_BUILD_DIR", tempfile.mkdtemp(prefix="bench-build-"))

from pulumi_harness import deploy

from components import packaging
from components.function import FunctionArgs, ServerlessFunction
from components.paths import FUNCTIONS_DIR, SHARED_LIBRARY_DIR
from components.samples import compose


def n_functions(n: int):
    def program(app):
        return {i: ServerlessFunction(f"fn{i}", FunctionArgs(code="basic")) for i in range(n)}

    return program


def timed(fn, repeat: int) -> float:
    fn()  # warm: imports, build cache
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


APP_CONFIG = {
    "aws": None,
    # Alibaba's database account needs its password as a secret config (AWS: RDS manages it).
    "ali": {"dbPassword": "Bench-Passw0rd"},
}


def run_once(cloud: str, what: str) -> float:
    """One program evaluation in this (fresh) process: ``what`` is a function count or ``app``."""
    program = compose if what == "app" else n_functions(int(what))
    start = time.perf_counter()
    deploy(cloud, program, APP_CONFIG[cloud] if what == "app" else None)
    return time.perf_counter() - start


def in_fresh_process(cloud: str, what: str, repeat: int) -> float:
    """Median over ``repeat`` fresh processes, as `pulumi up` runs the program once per process."""
    samples = []
    for _ in range(repeat):
        out = subprocess.run(
            [sys.executable, __file__, "--once", cloud, what], capture_output=True, text=True, check=True, timeout=600
        ).stdout
        samples.append(float(out.strip().splitlines()[-1]))
    return statistics.median(samples)


def evaluation() -> list[list[object]]:
    rows = []
    for cloud in ("aws", "ali"):
        in_fresh_process(cloud, "app", 1)  # fills the on-disk build cache for every sample
        times = {n: in_fresh_process(cloud, str(n), 3) for n in (1, 20, 200)}
        app = in_fresh_process(cloud, "app", 3)
        rows.append(
            [
                cloud,
                f"{times[1] * 1000:.0f} ms",
                f"{times[20] * 1000:.0f} ms",
                f"{times[200] * 1000:.0f} ms",
                f"{times[200] / times[20]:.1f}",
                f"{app * 1000:.0f} ms",
                "yes" if app < 2 and times[200] / times[20] <= 12 else "NO",
            ]
        )
    return rows


def packaging_rows() -> list[list[object]]:
    rows = []
    with_deps = next(
        (f for f in ("thumbnailer", "output_postgresql") if (FUNCTIONS_DIR / f / "requirements.txt").is_file()), None
    )
    cases = [("basic", "basic", None)]
    tmp = Path(tempfile.mkdtemp(prefix="bench-fn-"))
    if with_deps:
        cases.append((with_deps, with_deps, None))
    else:  # a stand-in with a compiled dependency
        shutil.copytree(FUNCTIONS_DIR / "basic", tmp / "withdeps")
        (tmp / "withdeps" / "requirements.txt").write_text("pillow==13.0.0\n")
        cases.append(("basic + pillow", "withdeps", tmp / "withdeps"))
    for label, folder, path in cases:
        fn_dir = path or FUNCTIONS_DIR / folder
        for cloud, runtime in (("aws", "python3.12"), ("ali", "python3.10")):
            target = packaging.Target.for_runtime(cloud, runtime)
            cache = Path(tempfile.mkdtemp(prefix="bench-cache-"))
            env_before = os.environ.get("PIP_NO_CACHE_DIR")
            os.environ["PIP_NO_CACHE_DIR"] = "1"  # truly cold: no pip download cache either
            start = time.perf_counter()
            art = packaging.build(fn_dir, SHARED_LIBRARY_DIR, target, cache)
            cold = time.perf_counter() - start
            if env_before is None:
                os.environ.pop("PIP_NO_CACHE_DIR")
            cached = timed(lambda d=fn_dir, t=target, c=cache: packaging.build(d, SHARED_LIBRARY_DIR, t, c), 5)
            size = art.path.stat().st_size
            rows.append(
                [
                    label,
                    cloud,
                    f"{size / 1024:.0f} KiB",
                    f"{cold * 1000:.0f} ms",
                    f"{cached * 1000:.1f} ms",
                    f"{cached / cold * 100:.2f} %",
                    "yes" if cached / cold <= 0.05 else "NO",
                ]
            )
            shutil.rmtree(cache, ignore_errors=True)
    return rows


def main() -> None:
    print(f"Machine: {machine()}")
    try:
        pip = subprocess.run([sys.executable, "-m", "pip", "--version"], capture_output=True, text=True).stdout.split(
            " from"
        )[0]
    except OSError:
        pip = "pip ?"
    print(f"Repo: {ROOT.name}, {pip}\n")
    print("Program evaluation under mocks (median; includes packaging with a warm cache)")
    print(table(["stack", "1 fn", "20 fns", "200 fns", "t200/t20", "sample app", "targets met"], evaluation()))
    print("\nPackaging: cold (empty build cache, no pip cache) vs cached rebuild (median of 5)")
    print(table(["function", "cloud", "zip", "cold", "cached", "cached/cold", "<= 5 %"], packaging_rows()))


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--once":
        print(run_once(sys.argv[2], sys.argv[3]))
    else:
        main()
