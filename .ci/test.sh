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
    # Not fatal: without a browser only the web-page test skips, everything else still runs.
    { apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium >/dev/null; } \
      || echo "!! apt-get could not install chromium; the web-page test skips" >&2
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

# The target interpreters the invocation tests run each artifact under (tests/runtimes.py):
# Lambda python3.12/3.13, FC python3.10/3.12. Found through pyenv or python3.X on PATH; pyenv
# installs a missing one when it can (it downloads the source from python.org and compiles it).
for v in 3.10 3.12 3.13; do
  if ! command -v "python$v" >/dev/null && ! ls "${PYENV_ROOT:-$HOME/.pyenv}"/versions/$v.*/bin/python$v >/dev/null 2>&1; then
    if command -v pyenv >/dev/null; then
      echo "== installing CPython $v (pyenv)"
      pyenv install -s "$v" || echo "!! pyenv could not install CPython $v" >&2
    else
      echo "!! CPython $v not found (pyenv or python$v on PATH): its invocation tests will skip" >&2
    fi
  fi
done
echo "== target runtime environments (.build/runtimes: awslambdaric + boto3 for Lambda, bare for FC)"
.venv/bin/python tests/runtimes.py

echo "== ruff"
.venv/bin/ruff check .

echo "== pytest"
.venv/bin/python -m pytest "$@"
