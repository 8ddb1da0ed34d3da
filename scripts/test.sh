#!/usr/bin/env bash
# The whole test suite, from a fresh machine: installs what the tests need
# (Debian's chromium for the browser tests, Python packages), then runs pytest.
# Extra arguments go to pytest, e.g. ./scripts/test.sh -k sentence
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-python3}"

if [ ! -x /usr/bin/chromium ]; then
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  echo "== installing Debian's chromium (browser tests; no browser download)"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi

echo "== installing Python packages (requirements-dev.txt)"
"$PY" -m pip install -q --disable-pip-version-check -r requirements-dev.txt

echo "== running the tests"
exec "$PY" -m pytest "$@"
