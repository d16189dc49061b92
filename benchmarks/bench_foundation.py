"""Program evaluation under Pulumi mocks, and packaging cold vs cached.

    python benchmarks/bench_foundation.py

Evaluation = config validation + every component + packaging (cache warm) + waiting until the
mock engine has registered every resource, i.e. what `pulumi preview` costs in the program's
process. Like `pulumi up`, each measurement runs the program once in a fresh process (imports
done, build cache on disk warm), so no run pays for the garbage of an earlier one.
Targets (2-core machine): sample app < 2 s per stack; t(200)/t(20) <= 12; a cached packaging run
<= 5% of a cold one.
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
from samples import compose


def n_functions(n: int):
    def program(app):
        return {i: ServerlessFunction(f"fn{i}", FunctionArgs(code="basic")) for i in range(n)}

    return program


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
                f"{(times[20] - times[1]) / 19 * 1000:.1f} ms",
                f"{(times[200] - times[20]) / 180 * 1000:.1f} ms",
                f"{app * 1000:.0f} ms",
                "yes" if app < 2 and times[200] / times[20] <= 12 else "NO",
            ]
        )
    return rows


RUNTIMES = {"aws": "python3.12", "ali": "python3.10"}  # the stacks' defaults


def functions_of(cloud: str) -> list[str]:
    """Every function folder the stack can deploy (it has an entry for that cloud)."""
    return sorted(p.name for p in FUNCTIONS_DIR.iterdir() if p.is_dir() and (p / f"entry_{cloud}.py").is_file())


def pack_once(cloud: str) -> dict[str, float]:
    """Package every function for ``cloud`` in this (fresh) process; seconds per function."""
    import json

    target = packaging.Target.for_runtime(cloud, RUNTIMES[cloud])
    cache = Path(os.environ["CLOUDFN_BUILD_DIR"])
    times = {}
    for name in functions_of(cloud):
        start = time.perf_counter()
        packaging.build(FUNCTIONS_DIR / name, SHARED_LIBRARY_DIR, target, cache)
        times[name] = time.perf_counter() - start
    print(json.dumps(times))
    return times


def pack_in_fresh_process(cloud: str, cache: Path, cold: bool) -> dict[str, float]:
    import json

    env = {**os.environ, "CLOUDFN_BUILD_DIR": str(cache)}
    if cold:
        env["PIP_NO_CACHE_DIR"] = "1"  # truly cold: no pip download cache either
    out = subprocess.run(
        [sys.executable, __file__, "--pack", cloud], capture_output=True, text=True, check=True, timeout=1200, env=env
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def packaging_rows() -> tuple[list[list[object]], list[list[object]]]:
    """A packaging run = every function of the stack, in a fresh process, as `pulumi up` does it."""
    runs, functions = [], []
    for cloud in ("aws", "ali"):
        cache = Path(tempfile.mkdtemp(prefix="bench-cache-"))
        cold = pack_in_fresh_process(cloud, cache, cold=True)
        cached_runs = [pack_in_fresh_process(cloud, cache, cold=False) for _ in range(3)]
        cached = {n: statistics.median(r[n] for r in cached_runs) for n in cold}
        total_cold, total_cached = sum(cold.values()), sum(cached.values())
        runs.append(
            [
                cloud,
                len(cold),
                f"{total_cold * 1000:.0f} ms",
                f"{total_cached * 1000:.1f} ms",
                f"{total_cached / total_cold * 100:.2f} %",
                "yes" if total_cached / total_cold <= 0.05 else "NO",
            ]
        )
        for name in cold:
            art = next((cache / "artifacts").glob(f"{name}-*.zip"))
            functions.append(
                [
                    name,
                    cloud,
                    f"{art.stat().st_size / 1024:.0f} KiB",
                    f"{cold[name] * 1000:.0f} ms",
                    f"{cached[name] * 1000:.2f} ms",
                    f"{cached[name] / cold[name] * 100:.1f} %",
                ]
            )
        shutil.rmtree(cache, ignore_errors=True)
    return runs, functions


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
    print(
        table(
            [
                "stack",
                "1 fn",
                "20 fns",
                "200 fns",
                "t200/t20",
                "per fn 1-20",
                "per fn 20-200",
                "sample app",
                "targets met",
            ],
            evaluation(),
        )
    )
    runs, functions = packaging_rows()
    print(
        "\nPackaging run: every function of the stack in a fresh process; cold = empty build cache and no"
        "\npip cache, cached = nothing changed (median of 3 fresh processes)"
    )
    print(table(["stack", "functions", "cold", "cached", "cached/cold", "<= 5 %"], runs))
    print("\nThe same runs, per function")
    print(table(["function", "stack", "zip", "cold", "cached", "cached/cold"], functions))


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--once":
        print(run_once(sys.argv[2], sys.argv[3]))
    elif len(sys.argv) == 3 and sys.argv[1] == "--pack":
        pack_once(sys.argv[2])
    else:
        main()
