"""The trigger engine's delivery rules, with the real runners (awslambdaric / FC contract) on tiny
handlers and an in-memory data plane that keeps SQS's receive-count and redrive rules.

What must hold: a partial batch failure deletes only the successes and the failure reaches the
dead-letter queue after max_receive_count receives; a crash mid-batch loses nothing; an MNS batch
is retried whole and then dead-lettered; object notifications honour prefix and suffix; schedules
fire on the virtual clock with each cloud's payload."""

from __future__ import annotations

import json
import textwrap
import zipfile
from datetime import datetime, timezone
from pathlib import Path

import pytest
from lc_fakes import FakeQueues

from localcloud.clock import Clock
from localcloud.runtime.runner import FunctionRunner
from localcloud.services import ObjectCreated
from localcloud.topology import (
    BucketSpec,
    FunctionSpec,
    Notification,
    QueueSpec,
    QueueSubscription,
    ScheduleSpec,
    Topology,
)
from localcloud.triggers import NotFound, TriggerEngine

HANDLERS = textwrap.dedent(
    """
    import json, os, sys

    def _bodies(event):
        if isinstance(event, (bytes, bytearray)):
            doc = json.loads(event) if event else {}
        else:
            doc = event
        if isinstance(doc, list):  # EventBridge CloudEvents batch
            return [(e["data"]["messageId"], e["data"]["messageBody"]) for e in doc]
        if isinstance(doc, dict) and "Records" in doc and doc["Records"] and "messageId" in doc["Records"][0]:
            return [(r["messageId"], r["body"]) for r in doc["Records"]]
        return []

    def _log(kind, payload):
        with open(os.environ["SEEN_FILE"], "a") as f:
            f.write(json.dumps([kind, payload]) + "\\n")

    def handler(event, context):
        items = _bodies(event)
        marker = os.environ["SEEN_FILE"] + ".crashed"
        if any(b == "crash" for _, b in items) and not os.path.exists(marker):
            open(marker, "w").close()
            os._exit(9)  # killed mid-batch, before any result
        failed = []
        for mid, body in items:
            if body == "poison":
                failed.append(mid)
            else:
                _log("processed", body)
        if not items:
            _log("event", event.decode() if isinstance(event, (bytes, bytearray)) else event)
        if os.environ.get("CLOUDFN_CLOUD") == "aws":
            return {"batchItemFailures": [{"itemIdentifier": m} for m in failed]}
        if failed:
            raise RuntimeError("batch failed")
        return "ok"
    """
)


def _artifact(tmp: Path) -> Path:
    path = tmp / "fn.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("app.py", HANDLERS)
    return path


def _fn(name: str, artifact: Path, cloud: str) -> FunctionSpec:
    return FunctionSpec(
        name=name,
        component=name,
        code=name,
        artifact=artifact,
        handler="app.handler",
        runtime="python3.12",
        memory_mb=128,
        timeout_s=10,
        environment={"CLOUDFN_CLOUD": cloud},
        role="role",
        policies=(),
        vpc=False,
    )


def _seen(path: Path) -> list:
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


@pytest.fixture
def world(tmp_path: Path, cloud: str, monkeypatch: pytest.MonkeyPatch):
    art = _artifact(tmp_path)
    seen = tmp_path / "seen.jsonl"
    fn = _fn("consumer", art, cloud)
    sub = QueueSubscription(
        function="consumer",
        batch_size=4,
        window_s=0,
        report_batch_item_failures=cloud == "aws",
        retry_attempts=None if cloud == "aws" else 2,
        dead_letter=None if cloud == "aws" else "work-dlq",
    )
    topo = Topology(
        cloud=cloud,
        region="r-1",
        account="123",
        project_dir=tmp_path,
        functions={"consumer": fn},
        buckets={
            "b": BucketSpec(
                "b",
                "b",
                (Notification("consumer", ("s3:ObjectCreated:*", "oss:ObjectCreated:*"), "images/", ".jpg"),),
                {},
            )
        },
        queues={
            "work": QueueSpec("work", "work", "work-dlq", 3, 30, (sub,)),
            "work-dlq": QueueSpec("work-dlq", "d", None, None, 30, ()),
        },
        topics={},
        schedules={
            "tick": ScheduleSpec(
                "tick",
                "tick",
                "consumer",
                "rate(5 minutes)" if cloud == "aws" else "@every 5m",
                None,
                '{"schedule":"tick","time":"<aws.scheduler.scheduled-time>"}' if cloud == "aws" else "hello",
                True,
            )
        },
        databases={},
    )
    queues = FakeQueues(redrive={"work": ("work-dlq", 3)} if cloud == "aws" else {})
    runner = FunctionRunner(
        fn, cloud, {"CLOUDFN_CLOUD": cloud, "SEEN_FILE": str(seen)}, workdir=tmp_path / "w", region="r-1", account="123"
    )
    runner.prepare()
    clock = Clock(datetime(2026, 11, 24, 10, 0, tzinfo=timezone.utc))
    records = []
    engine = TriggerEngine(
        topo, queues, {"consumer": runner}, clock, on_invocation=records.append, log=lambda s: None, sqs=queues
    )
    engine.start()
    yield engine, queues, clock, seen, records, runner
    engine.stop()
    runner.stop()


def _settle(engine: TriggerEngine, clock: Clock, rounds: int, step_s: float) -> None:
    for _ in range(rounds):
        assert engine.wait_idle(30)
        clock.advance(step_s)
    assert engine.wait_idle(30)


def test_poisoned_batch_reaches_the_dead_letter_queue_and_nothing_else_is_lost(world, cloud: str) -> None:
    engine, queues, clock, seen, records, _ = world
    bodies = ["m1", "m2", "poison", "m3"]
    for b in bodies:
        queues.send("work", b)
    _settle(engine, clock, 6, 31)
    processed = [p for k, p in _seen(seen) if k == "processed"]
    assert queues.bodies("work") == []
    if cloud == "aws":
        # ReportBatchItemFailures: the three good ones deleted after one delivery each; the poison
        # received 3 times (max_receive_count) then moved by SQS.
        assert sorted(processed) == ["m1", "m2", "m3"]
        assert queues.bodies("work-dlq") == ["poison"]
        assert len(records) == 3
    else:
        # EventBridge: the whole batch pushed 1 + 2 retries, then every event dead-lettered.
        assert sorted(set(processed)) == ["m1", "m2", "m3"] and len(processed) == 9
        dead = [json.loads(b) for b in queues.bodies("work-dlq")]
        assert sorted(e["data"]["messageBody"] for e in dead) == sorted(bodies)
        assert all(e["type"] == "mns:Queue:SendMessage" for e in dead)
        assert len(records) == 3 and [r.attempt for r in records] == [1, 2, 3]


def test_a_crash_mid_batch_loses_nothing(world, cloud: str) -> None:
    engine, queues, clock, seen, records, _runner = world
    for b in ["a", "crash", "b"]:
        queues.send("work", b)
    _settle(engine, clock, 3, 31)
    assert records[0].crashed and not records[0].ok
    assert records[1].cold and records[1].ok  # a fresh instance took the redelivery
    processed = sorted(p for k, p in _seen(seen) if k == "processed")
    assert processed == ["a", "b", "crash"]
    assert queues.bodies("work") == [] and queues.bodies("work-dlq") == []


def test_object_notifications_honour_prefix_and_suffix(world, cloud: str) -> None:
    engine, _queues, _clock, seen, _records, _ = world
    name = "ObjectCreated:Put" if cloud == "aws" else "ObjectCreated:PutObject"
    for key in ("images/a.jpg", "images/a.png", "other/a.jpg", "images/sub dir/b+c.jpg"):
        engine.on_event(ObjectCreated("b", key, 3, "abc", name, "2026-11-24T10:00:00.000Z"))
    assert engine.wait_idle(30)
    events = [p for k, p in _seen(seen) if k == "event"]
    if cloud == "aws":
        keys = [e["Records"][0]["s3"]["object"]["key"] for e in events]
        assert keys == ["images/a.jpg", "images/sub+dir/b%2Bc.jpg"]
    else:
        keys = [json.loads(e)["events"][0]["oss"]["object"]["key"] for e in events]
        assert keys == ["images/a.jpg", "images/sub dir/b+c.jpg"]


def test_schedules_fire_on_the_virtual_clock(world, cloud: str) -> None:
    engine, _queues, clock, seen, records, _ = world
    assert engine.next_fires() == {"tick": "2026-11-24T10:05:00Z"}
    clock.advance(4 * 60)
    assert engine.wait_idle(10) and records == []
    clock.advance(11 * 60)  # 10:15: ticks at 10:05, 10:10, 10:15
    assert engine.wait_idle(30)
    events = [p for k, p in _seen(seen) if k == "event"]
    if cloud == "aws":
        assert events == [{"schedule": "tick", "time": f"2026-11-24T10:{m}:00Z"} for m in ("05", "10", "15")]
    else:
        assert [json.loads(e) for e in events] == [
            {"triggerTime": f"2026-11-24T10:{m}:00Z", "triggerName": "tick", "payload": "hello"}
            for m in ("05", "10", "15")
        ]
    fired = engine.fire("tick")
    assert fired.ok and fired.trigger == "schedule:tick"


def test_unknown_names_list_what_exists(world) -> None:
    engine = world[0]
    with pytest.raises(NotFound, match=r"no function named 'nope'; the local cloud has: consumer"):
        engine.invoke("nope", {})
    with pytest.raises(NotFound, match=r"no schedule named 'x'; the local cloud has: tick"):
        engine.fire("x")
