#!/usr/bin/env bash
# The whole test suite, from a fresh machine: installs what the tests need
# (Debian's chromium for the browser tests, Debian's nginx for the reverse-proxy tests,
# Python packages), then runs pytest.
# Extra arguments go to pytest, e.g. ./scripts/test.sh -k sentence
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-python3}"

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
APT_UPDATED=""
apt_install() {  # Debian packages the tests need, installed only when missing
  if [ -z "$APT_UPDATED" ]; then $SUDO apt-get update -qq; APT_UPDATED=1; fi
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "$@" >/dev/null
}
if [ ! -x /usr/bin/chromium ]; then
  echo "== installing Debian's chromium (browser tests; no browser download)"
  apt_install chromium
fi
if [ ! -x /usr/sbin/nginx ]; then
  # the replica tests run scripts/serve.sh: nginx in the foreground with its own config in a temp
  # dir on ports 18600-18699 (the package's own service on port 80 is neither needed nor touched)
  echo "== installing Debian's nginx (reverse-proxy tests)"
  apt_install nginx
fi

echo "== installing Python packages (requirements-dev.txt)"
"$PY" -m pip install -q --disable-pip-version-check -r requirements-dev.txt

echo "== running the tests"
exec "$PY" -m pytest "$@"
