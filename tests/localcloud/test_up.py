"""``python -m localcloud up`` from a terminal: it prints where each resource lives, serves the API,
and Ctrl-C stops everything it started and removes its temporary data."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _children(pid: int) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True)
    return [int(p) for p in out.stdout.split()]


def test_up_then_ctrl_c_stops_everything(tmp_path: Path) -> None:
    state = tmp_path / "api.json"
    env = dict(os.environ, LOCALCLOUD_STATE=str(state), TMPDIR=str(tmp_path))
    proc = subprocess.Popen(
        [sys.executable, "-m", "localcloud", "up", "--cloud", "ali", "--samples", "basic", "--port", "0", "--no-watch"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []
    try:
        deadline = time.monotonic() + 120
        assert proc.stdout is not None
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line)
            if "ready." in line:
                break
        text = "".join(lines)
        assert "ready." in text, text
        assert "  function  basic-" in text and "  oss       http://127.0.0.1:" in text
        url = json.loads(state.read_text())["url"]
        req = urllib.request.Request(url + "/api/invoke", json.dumps({"function": "basic"}).encode(), method="POST")
        with urllib.request.urlopen(req, timeout=60) as resp:
            assert json.loads(resp.read())["result"] == "hello world"
        workdirs = list(tmp_path.glob("localcloud-ali-*"))
        assert len(workdirs) == 1 and workdirs[0].is_dir()
        children = _children(proc.pid)
        assert children  # the function's warm instance
        proc.send_signal(signal.SIGINT)
        assert proc.wait(30) == 0
        rest = proc.stdout.read()
        assert "localcloud: stopping" in rest
        assert not workdirs[0].exists() and not state.exists()
        for child in children:
            assert not Path(f"/proc/{child}").exists() or "Z" in Path(f"/proc/{child}/stat").read_text().split()[2]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
