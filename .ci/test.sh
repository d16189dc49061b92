#!/usr/bin/env bash
# The one test command (README "Tests"): installs what the suite needs on a fresh Debian/Ubuntu
# machine, then runs the linter and every test. Safe to re-run; reuses .venv when present.
set -euo pipefail
cd "$(dirname "$0")/.."

# PostgreSQL server binaries for the database tests (a throwaway cluster is started by the tests,
# under a non-root user, on 127.0.0.1). Needs root for apt; otherwise they must already be there.
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
    echo "== installing PostgreSQL (apt)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends postgresql >/dev/null
  else
    echo "!! PostgreSQL server binaries not found and cannot apt-get install them (need root)" >&2
  fi
fi

# Headless Chromium for the local cloud's web-page test (tests/localcloud/test_web.py), same rule.
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
    echo "== installing chromium (apt)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends chromium >/dev/null
  else
    echo "!! chromium not found and cannot apt-get install it (need root); the web-page test skips" >&2
  fi
fi

PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  echo "== creating .venv"
  "$PY" -m venv .venv
fi
echo "== installing requirements-dev.txt"
.venv/bin/python -m pip install -q --disable-pip-version-check -r requirements-dev.txt

echo "== ruff"
.venv/bin/ruff check .

echo "== pytest"
.venv/bin/python -m pytest "$@"
