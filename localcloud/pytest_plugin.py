"""pytest plugin: end-to-end tests of your application on the local cloud.

Enable it in a ``conftest.py``::

    pytest_plugins = ["localcloud.pytest_plugin"]

then ask the factory for a running local cloud (one per cloud, samples and overrides, shared by
the tests of one module and stopped at its end: a running local cloud changes process-wide
settings, such as moto's IAM enforcement, that other tests must not inherit)::

    def test_thumbnail(localcloud_factory):
        cloud = localcloud_factory("aws", ["thumbnailer"])
        cloud.put_object("images", "images/a.jpg", jpeg_bytes)
        assert cloud.wait_idle()
        assert cloud.list_objects("images", "thumbnails/") == ["thumbnails/a.jpg"]

``LocalCloud`` methods: put_object, get_object, list_objects, send_message, publish, invoke, fire,
advance, wait_idle, dead_letters, kill; ``invocations`` and ``logs`` hold what happened.
The clock is virtual: ``advance("5m")`` fires what falls due (schedules, retries, redeliveries).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from localcloud.cloud import LocalCloud


@pytest.fixture(scope="module")
def localcloud_factory() -> Iterator[Callable[..., LocalCloud]]:
    """``make(cloud, samples=None, *, code_overrides=None, env_overrides=None, project_dir=None)``."""
    running: dict[Any, LocalCloud] = {}

    def make(
        cloud: str,
        samples: list[str] | None = None,
        *,
        code_overrides: dict[str, Path] | None = None,
        env_overrides: dict[str, dict[str, str]] | None = None,
        project_dir: Path | None = None,
    ) -> LocalCloud:
        key = (
            cloud,
            tuple(samples or ()),
            tuple(sorted((k, str(v)) for k, v in (code_overrides or {}).items())),
            tuple(sorted((k, tuple(sorted(v.items()))) for k, v in (env_overrides or {}).items())),
            str(project_dir),
        )
        if key not in running:
            lc = LocalCloud(
                cloud,
                samples,
                project_dir,
                api_port=0,
                watch=False,
                echo=None,
                code_overrides=code_overrides,
                env_overrides=env_overrides,
            )
            try:
                lc.start()
            except BaseException:
                lc.stop()
                raise
            running[key] = lc
        return running[key]

    try:
        yield make
    finally:
        for lc in running.values():
            lc.stop()
