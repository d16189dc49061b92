"""Warm-invocation latency: one reused connection per container vs the tutorial's connect-per-call.

Starts a throwaway PostgreSQL cluster (Debian's server binaries, as the tests do), migrates it
with the sample's own migrations, then times two invocation bodies with each strategy:

- ``tasks flow``: the whole tutorial flow (list, 2 inserts, list, update, list, find, delete, list);
- ``find one``: a single-row lookup by primary key (a typical small API call).

``reused`` is ``PostgresDriver.transaction()`` on the container's warm connection (what the sample
does). ``per call`` opens a connection (TCP + SCRAM-SHA-256), runs the same body in a transaction,
and closes it, as the tutorial's Node.js handler did. Same server, same SQL, interleaved calls
``--gap-ms`` apart.
Measured with ``sslmode=require``, as deployed on both clouds (RDS for PostgreSQL 15+ forces
TLS; PgDatabase opens SSL on ApsaraDB; the cluster gets a self-signed RSA-2048 certificate), and
without TLS for comparison. Loopback only: on a real network every
round trip costs more, for both strategies (a connect is ~6 round trips with TLS and SCRAM).

    /work/venv/bin/python benchmarks/bench_postgres.py [--rounds 200] [--gap-ms 10]
"""

from __future__ import annotations

import argparse
import logging
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from uuid import uuid4

ROOT = Path(__file__).resolve().parent.parent
for p in (ROOT / "tests", ROOT / "functions", ROOT / "functions" / "output_postgresql"):
    sys.path.insert(0, str(p))

import psycopg  # noqa: E402
from fixtures.postgres import PgCluster, find_bin_dir  # noqa: E402
from output_postgresql import MIGRATIONS  # noqa: E402
from output_postgresql.repository import PgTaskRepository  # noqa: E402
from output_postgresql.service import SampleService  # noqa: E402

from cloudfn.drivers.postgres import PgSettings, PostgresDriver  # noqa: E402

QUIET = logging.getLogger("bench.quiet")
QUIET.addHandler(logging.NullHandler())
QUIET.propagate = False


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--gap-ms", type=float, default=10.0, help="pause before each measured invocation")
    opts = parser.parse_args()

    bin_dir = find_bin_dir()
    if bin_dir is None:
        sys.exit("PostgreSQL server binaries not found: apt-get install -y postgresql")
    cluster = PgCluster(bin_dir, tls=True).start()
    rows = []
    try:
        db = cluster.create_database("bench")
        known = uuid4()
        setup = PostgresDriver(
            PgSettings(db.host, db.port, db.dbname, db.user, db.password, sslmode="disable"), MIGRATIONS, logger=QUIET
        )
        with setup.transaction() as conn:  # cold start: connect + migrate, not measured
            conn.execute(
                "INSERT INTO tasks (uuid, description, creation_date, priority) VALUES (%s, 'x', now(), 1)", (known,)
            )
        setup.close()
        for sslmode in ("disable", "require"):
            rows += measure(opts, PgSettings(db.host, db.port, db.dbname, db.user, db.password, sslmode=sslmode), known)
    finally:
        cluster.stop()

    print(
        f"PostgreSQL {cluster.version} on 127.0.0.1 (SCRAM-SHA-256; TLS = sslmode=require, RSA-2048 as on RDS), "
        f"psycopg {psycopg.__version__}, Python {platform.python_version()}, {platform.machine()}, "
        f"{os.cpu_count()} CPUs, {opts.rounds} warm invocations each, {opts.gap_ms:g} ms apart"
    )
    head = ("invocation", "TLS", "connection", "p50 ms", "p90 ms", "p99 ms", "mean ms")
    print("| {:<11} | {:<3} | {:<13} | {:>7} | {:>7} | {:>7} | {:>7} |".format(*head))
    print(f"|{'-' * 13}|{'-' * 5}|{'-' * 15}|{'-' * 9}|{'-' * 9}|{'-' * 9}|{'-' * 9}|")
    for label, tls, name, p50, p90, p99, mean in rows:
        if p90 is None:
            print(f"| {label:<11} | {tls:<3} | {name:<13} | {p50:>6.1f}x | {'':>7} | {'':>7} | {'':>7} |")
        else:
            print(f"| {label:<11} | {tls:<3} | {name:<13} | {p50:>7.2f} | {p90:>7.2f} | {p99:>7.2f} | {mean:>7.2f} |")
    deployed = [p50 for label, tls, name, p50, p90, *_ in rows if tls == "yes" and p90 is None]
    verdict = "met" if min(deployed) >= 5 else "NOT met"
    print(f"\nTarget p50 >= 5x, as deployed (TLS), every invocation: {verdict} (lowest {min(deployed):.1f}x)")


def measure(opts: argparse.Namespace, settings: PgSettings, known: Any) -> list[tuple[Any, ...]]:
    tls = "yes" if settings.sslmode == "require" else "no"
    driver = PostgresDriver(settings, logger=QUIET)
    rows: list[tuple[Any, ...]] = []
    try:

        def flow(conn: Any) -> None:
            SampleService(PgTaskRepository(conn), QUIET).run()

        def find(conn: Any) -> None:
            assert PgTaskRepository(conn).find(known) is not None

        def reused(body: Callable[[Any], None]) -> None:
            with driver.transaction() as conn:
                body(conn)

        def per_call(body: Callable[[Any], None]) -> None:
            with psycopg.connect(**settings.connect_kwargs()) as conn:  # commits on exit
                body(conn)

        for label, body in (("tasks flow", flow), ("find one", find)):
            samples: dict[str, list[float]] = {"reused": [], "per call": []}
            strategies = {"reused": reused, "per call": per_call}
            for _ in range(opts.warmup):
                for run in strategies.values():
                    run(body)
            for _ in range(opts.rounds):
                for name, run in strategies.items():  # interleaved: same conditions for both
                    # Invocations are not back to back: a closed connection's backend exits
                    # asynchronously, and on 2 shared cores it would land in the next measurement.
                    time.sleep(opts.gap_ms / 1000)
                    t0 = time.perf_counter()
                    run(body)
                    samples[name].append((time.perf_counter() - t0) * 1000)
            for name in ("reused", "per call"):
                s = samples[name]
                rows.append(
                    (label, tls, name, percentile(s, 0.5), percentile(s, 0.9), percentile(s, 0.99), statistics.fmean(s))
                )
            speedup = percentile(samples["per call"], 0.5) / percentile(samples["reused"], 0.5)
            rows.append((label, tls, "p50 speed-up", speedup, None, None, None))
    finally:
        driver.close()
    return rows


if __name__ == "__main__":
    main()
