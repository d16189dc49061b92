"""Benchmark: normalizing message batches and the per-message cost of the failure bookkeeping.

Run: ``/work/venv/bin/python benchmarks/bench_messages.py``. Prints a Markdown table; the
target is <= 20 us per message for normalizing plus bookkeeping.
"""

from __future__ import annotations

import json
import logging
import platform
import sys
import timeit
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "functions"))

from cloudfn.batch import InMemoryIdempotencyStore, process_batch  # noqa: E402
from cloudfn.events import messages  # noqa: E402
from cloudfn.invocation import Invocation  # noqa: E402

EVENTS = ROOT / "tests" / "events"
BATCH = 10
TARGET_US = 20.0


def sqs_batch() -> dict[str, Any]:
    record = json.loads((EVENTS / "aws" / "sqs_tutorial.json").read_text())["Records"][0]
    return {"Records": [dict(record, messageId=f"id-{i}") for i in range(BATCH)]}


def mns_batch_bytes() -> bytes:
    event = json.loads((EVENTS / "ali" / "mns_queue_cloudevent.json").read_text())
    batch = [dict(event, data=dict(event["data"], messageId=f"id-{i}")) for i in range(BATCH)]
    return json.dumps(batch).encode()


def per_message_us(fn: Any, per_call: int = BATCH, number: int = 2000, repeat: int = 7) -> float:
    best = min(timeit.repeat(fn, number=number, repeat=repeat))
    return best / number / per_call * 1e6


def main() -> None:
    logger = logging.getLogger("bench")
    logger.addHandler(logging.NullHandler())
    logger.propagate = False
    inv = Invocation(request_id="r", function_name="bench", cloud="aws", logger=logger)
    sqs, mns = sqs_batch(), mns_batch_bytes()
    batch = messages.from_aws(sqs)

    def ok(_m: Any, _i: Any) -> None:
        return None

    def fail_some(m: Any, _i: Any) -> None:
        if m.id.endswith(("3", "7", "9")):
            raise ValueError("boom")

    def bare_loop() -> None:
        for m in batch:
            ok(m, inv)

    def timed(fn: Any) -> float:
        return per_message_us(fn)

    rows: list[tuple[str, float]] = [
        ("normalize SQS batch (from_aws, dict in)", timed(lambda: messages.from_aws(sqs))),
        ("normalize MNS CloudEvents batch (from_ali, bytes, JSON decode)", timed(lambda: messages.from_ali(mns))),
    ]
    bare = timed(bare_loop)
    no_store = timed(lambda: process_batch(batch, ok, inv)) - bare
    with_store = timed(lambda: process_batch(batch, ok, inv, InMemoryIdempotencyStore())) - bare
    failing = timed(lambda: process_batch(batch, fail_some, inv)) - bare
    store = InMemoryIdempotencyStore()
    process_batch(batch, ok, inv, store)
    skipped = timed(lambda: process_batch(batch, ok, inv, store))
    rows += [
        ("bookkeeping, all succeed, no idempotency (minus bare loop)", no_store),
        ("bookkeeping, all succeed, in-memory idempotency (minus bare loop)", with_store),
        ("bookkeeping, 30% fail (exception + log record each, minus bare loop)", failing),
        ("bookkeeping, redelivered batch, all skipped by idempotency", skipped),
    ]
    total = rows[1][1] + with_store
    py = f"{platform.python_implementation()} {platform.python_version()}"
    print(f"Machine: {platform.machine()}, {py}, batch of {BATCH}")
    print()
    print("| measurement | us per message |")
    print("|---|---|")
    for name, value in rows:
        print(f"| {name} | {value:.2f} |")
    print(f"| **MNS normalize + bookkeeping with idempotency (worst common path)** | **{total:.2f}** |")
    print()
    print(f"target <= {TARGET_US:.0f} us per message: {'met' if total <= TARGET_US else 'NOT met'}")


if __name__ == "__main__":
    main()
