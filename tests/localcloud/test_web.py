"""The web page in headless Chromium: the topology from the program and live invocations with
their event and result. Skips (saying why) when Debian's chromium is missing outside CI; in CI
(``CI`` set) a missing browser is a failure, because .ci/test.sh installs it."""

from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
import tempfile

import pytest
from lc_fakes import FakeServices

from localcloud import topology
from localcloud.cloud import LocalCloud

BROWSER = shutil.which("chromium") or shutil.which("chromium-browser")


def _dom(url: str) -> str:
    profile = tempfile.mkdtemp(prefix="localcloud-chromium-")
    try:
        done = subprocess.run(
            [
                BROWSER,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                f"--user-data-dir={profile}",
                # Lets the page's fetches and timers run before the DOM is printed.
                "--virtual-time-budget=4000",
                "--dump-dom",
                url,
            ],
            capture_output=True,
            text=True,
            timeout=90,
        )
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


@pytest.mark.parametrize("cloud", ["aws", "ali"])
def test_page_shows_topology_and_live_invocations(cloud: str) -> None:
    if BROWSER is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed; .ci/test.sh installs it (apt-get install chromium)")
        pytest.skip("chromium is not installed (apt-get install -y chromium); the web page is not tested")
    samples = ["basic", "timer"]
    topo = topology.load(cloud, samples=samples)
    with LocalCloud(
        cloud, samples, api_port=0, watch=False, echo=None, topology=topo, services_factory=FakeServices
    ) as lc:
        basic = next(f.name for f in topo.functions.values() if f.component == "basic")
        record = lc.invoke("basic", {"from": "the-web-test"} if cloud == "aws" else "from the-web-test")
        assert record.ok
        fired = lc.fire("timer-every-5m")
        dom = html.unescape(_dom(lc.api.url + "/"))
    rows = re.findall(r'<tr class="invocation" data-function="([^"]+)">(.*?)</tr>', dom, re.S)
    assert [f for f, _ in rows] == [fired.function, basic]  # newest first
    basic_row = rows[1][1]
    assert "hello world" in basic_row and "the-web-test" in basic_row and ">ok<" in basic_row
    assert '"schedule": "timer-every-5m"' in rows[0][1]
    kinds = re.findall(r'<tr data-kind="(\w+)"><td>\w+</td><td>([^<]+)</td>', dom)
    assert ("function", basic) in kinds and ("schedule", next(iter(topo.schedules.values())).name) in kinds
    assert f"{cloud} · {topo.region}" in dom
