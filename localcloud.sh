#!/usr/bin/env bash
# The local cloud in one command, on a fresh Debian/Ubuntu machine (README "Local cloud"):
#   ./localcloud.sh --cloud aws            # or --cloud ali; --samples thumbnailer,timer; --wall-clock
# Installs what is missing (PostgreSQL server from Debian when root, .venv with requirements-dev.txt),
# then runs `python -m localcloud up` with the arguments given. Ctrl-C stops everything.
set -euo pipefail
cd "$(dirname "$0")"

if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
    echo "== installing PostgreSQL (apt)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends postgresql >/dev/null
  else
    echo "!! PostgreSQL server binaries not found and cannot apt-get install them (need root);" >&2
    echo "!! the database sample will not start" >&2
  fi
fi

PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  echo "== creating .venv"
  "$PY" -m venv .venv
fi
if ! .venv/bin/python -c "import awslambdaric, moto, pulumi, psycopg" >/dev/null 2>&1; then
  echo "== installing requirements-dev.txt"
  .venv/bin/python -m pip install -q --disable-pip-version-check -r requirements-dev.txt
fi

if [ "$#" -eq 0 ]; then
  set -- --cloud aws
fi
exec .venv/bin/python -m localcloud up "$@"
