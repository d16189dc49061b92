"""Rebuild a function's artifact when its code changes, and reload that function.

Polls file signatures (path, size, mtime) under ``functions/<code>/`` and the shared library
``functions/cloudfn/`` once a second; a change rebuilds with ``components.packaging`` for the
function's target (the same build the program runs) and swaps the runner's instance.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

from localcloud.runtime.runner import FunctionRunner


def _signature(root: Path) -> tuple[tuple[str, int, int], ...]:
    if not root.is_dir():
        return ()
    out = []
    for path in sorted(root.rglob("*")):
        if "__pycache__" in path.parts or not path.is_file():
            continue
        st = path.stat()
        out.append((str(path), st.st_size, st.st_mtime_ns))
    return tuple(out)


class CodeWatcher:
    def __init__(
        self,
        project_dir: Path,
        cloud: str,
        runners: dict[str, FunctionRunner],
        log: Callable[[str], None],
        interval_s: float = 1.0,
    ) -> None:
        self.functions_dir = Path(project_dir) / "functions"
        self.cloud = cloud
        self.runners = runners
        self.log = log
        self.interval_s = interval_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._seen: dict[str, tuple] = {}
        self.reloads = 0

    def _roots(self, code: str) -> tuple[Path, Path]:
        return self.functions_dir / code, self.functions_dir / "cloudfn"

    def _snapshot(self, code: str) -> tuple:
        return tuple(_signature(root) for root in self._roots(code))

    def start(self) -> None:
        for runner in self.runners.values():
            self._seen.setdefault(runner.spec.code, self._snapshot(runner.spec.code))
        self._thread = threading.Thread(target=self._loop, name="localcloud-watch", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(3)

    def _loop(self) -> None:
        while not self._stop.wait(self.interval_s):
            self.check()

    def check(self) -> list[str]:
        """Rebuild and reload what changed since the last check; returns the functions reloaded."""
        from components import packaging
        from components.paths import build_cache_dir

        reloaded = []
        changed_codes = set()
        for code in {r.spec.code for r in self.runners.values()}:
            snap = self._snapshot(code)
            if snap != self._seen.get(code):
                self._seen[code] = snap
                changed_codes.add(code)
        for runner in self.runners.values():
            spec = runner.spec
            if spec.code not in changed_codes:
                continue
            function_dir, shared = self._roots(spec.code)
            try:
                target = packaging.Target.for_runtime(self.cloud, spec.runtime)
                artifact = packaging.build(function_dir, shared, target, build_cache_dir())
                runner.reload(artifact.path)
            except Exception as exc:  # a syntax error mid-edit must not stop the local cloud
                self.log(f"localcloud: could not rebuild {spec.name} from functions/{spec.code}: {exc}")
                continue
            self.reloads += 1
            reloaded.append(spec.name)
            self.log(f"localcloud: functions/{spec.code} changed; rebuilt {artifact.path.name}, reloaded {spec.name}")
        return reloaded
