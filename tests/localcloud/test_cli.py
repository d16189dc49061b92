"""The CLI and HTTP API against a running local cloud: the real program's topology, the real
artifacts and runners, an in-memory data plane (tests/localcloud/lc_fakes.py). Bad input gets a
clear error naming what exists."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from lc_fakes import FakeServices

from localcloud import topology
from localcloud.cli import main
from localcloud.cloud import LocalCloud

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ["basic", "timer", "trigger_object_storage"]


@pytest.fixture(scope="module", params=["aws", "ali"])
def running(request: pytest.FixtureRequest):
    cloud = request.param
    topo = topology.load(cloud, samples=SAMPLES)
    lc = LocalCloud(cloud, SAMPLES, api_port=0, watch=False, echo=None, topology=topo, services_factory=FakeServices)
    with lc:
        yield lc


def _cli(lc: LocalCloud, capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["--api", lc.api.url, *argv])
    out, err = capsys.readouterr()
    return code, out, err


def _name(lc: LocalCloud, component: str) -> str:
    return next(f.name for f in lc.topology.functions.values() if f.component == component)


def test_invoke_runs_the_deployed_function(running: LocalCloud, capsys) -> None:
    code, out, _ = _cli(running, capsys, "invoke", "basic")
    doc = json.loads(out)
    assert code == 0 and doc["ok"] and doc["result"] == "hello world"
    assert doc["function"] == _name(running, "basic")
    assert any("hello world" in line.text and line.request_id == doc["request_id"] for line in running.logs)


def test_fire_and_advance_run_the_timer(running: LocalCloud, capsys) -> None:
    code, out, _ = _cli(running, capsys, "fire", "timer-every-5m")
    doc = json.loads(out)
    assert code == 0 and doc["ok"]
    assert doc["result"]["schedule"] == "timer-every-5m"
    assert doc["result"]["payload"] == {"message": "some-custom-payload"}
    assert doc["result"]["time"].startswith(running.clock.now().strftime("%Y-%m-%dT%H:%M"))
    before = len([r for r in running.invocations if r.trigger.startswith("schedule:")])
    code, out, _ = _cli(running, capsys, "advance", "10m")
    assert code == 0 and json.loads(out)["fired"] == 2
    running.wait_idle(30)
    assert len([r for r in running.invocations if r.trigger.startswith("schedule:")]) == before + 2


def test_put_triggers_the_notification(running: LocalCloud, capsys, tmp_path: Path) -> None:
    f = tmp_path / "hello.txt"
    f.write_text("hi there")
    bucket = next(b.component for b in running.topology.buckets.values() if b.notifications)
    code, out, _ = _cli(running, capsys, "put", bucket, "docs/hello world.txt", str(f))
    assert code == 0 and json.loads(out)["size"] == 8
    assert running.wait_idle(30)
    rec = [r for r in running.invocations if r.trigger.endswith(json.loads(out)["bucket"])][-1]
    assert rec.ok and rec.result["objects"][0]["key"] == "docs/hello world.txt"
    assert rec.result["objects"][0]["size"] == 8


def test_unknown_names_and_bad_input_are_named(running: LocalCloud, capsys, tmp_path: Path) -> None:
    code, _, err = _cli(running, capsys, "invoke", "nope")
    assert code == 2 and "no function named 'nope'" in err and _name(running, "basic") in err
    code, _, err = _cli(running, capsys, "fire", "hourly")
    assert code == 2 and "no schedule named 'hourly'" in err and "timer-every-5m" in err
    code, _, err = _cli(running, capsys, "put", "nobucket", "k", __file__)
    assert code == 2 and "no bucket named 'nobucket'" in err
    code, _, err = _cli(running, capsys, "put", "storage", "k", str(tmp_path / "missing.jpg"))
    assert code == 2 and "does not exist" in err and "missing.jpg" in err
    code, _, err = _cli(running, capsys, "send", "noqueue", "x")
    assert code == 2 and "no queue named 'noqueue'" in err
    code, _, err = _cli(running, capsys, "invoke", "basic", "{not json")
    assert code == 2 and "not JSON" in err
    code, _, err = _cli(running, capsys, "advance", "5 minutes")
    assert code == 2 and "like 90s, 5m" in err
    code, _, err = _cli(running, capsys, "send", "storage", "x")
    assert code == 2 and "no queue named 'storage'" in err


def test_module_entry_point_lists_resources(running: LocalCloud) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "localcloud", "--api", running.api.url, "ls"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert f"function  {_name(running, 'timer')}" in done.stdout
    assert "schedule  timer-every-5m" in done.stdout
