#!/usr/bin/env bash
# Everything the tests need, on a fresh machine of this kind, then the tests themselves:
# PostgreSQL and Redis up (started when down), Chromium, node and a CJK font for the shells'
# tests, wrk for the benchmark harness, poppler to render receipt PDFs, the virtualenv with the
# project, ruff, mypy, pytest. Safe to run again: each step is
# skipped when its result is already there. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! pg_isready -q -h 127.0.0.1 -p 5432; then
  echo "test: starting PostgreSQL"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start
fi
for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
pg_isready -h 127.0.0.1 -p 5432

if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  echo "test: starting Redis"
  mkdir -p /var/lib/redis /var/log/redis
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log
fi
for _ in $(seq 1 30); do redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && break; sleep 1; done
redis-cli -h 127.0.0.1 -p 6379 ping

# The catalog console's browser test drives Debian's Chromium (never `playwright install`).
if [ ! -x /usr/bin/chromium ]; then
  echo "test: installing chromium"
  apt-get update -q && apt-get install -y -q chromium
fi

# The benchmark harness's tests build and parse wrk runs; the receipt tests render the PDF to
# an image with poppler's pdftoppm and decode its QR.
if ! command -v wrk >/dev/null 2>&1; then
  echo "test: installing wrk"
  apt-get update -q && apt-get install -y -q wrk
fi
if ! command -v pdftoppm >/dev/null 2>&1; then
  echo "test: installing poppler-utils"
  apt-get update -q && apt-get install -y -q poppler-utils
fi

# The shells: the mini-programs' node tests (npm test, run from tests/shells by the README's
# command) and Chinese glyphs for the H5 journey's screenshots.
if ! command -v npm >/dev/null 2>&1; then
  echo "test: installing node"
  apt-get update -q && apt-get install -y -q nodejs npm
fi
# npm ci again whenever the lock file changed since the last install (a stale node_modules
# would lack a package a newer test needs); the lock's hash is kept beside the packages.
npm_ci_if_changed() {
  local dir=$1 want have
  want=$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)
  have=$(cat "$dir/node_modules/.yiwang-lock-sha256" 2>/dev/null || true)
  if [ "$want" != "$have" ]; then
    echo "test: installing the node packages of $dir"
    (cd "$dir" && npm ci --no-audit --no-fund)
    echo "$want" > "$dir/node_modules/.yiwang-lock-sha256"
  fi
}
npm_ci_if_changed miniprogram
# The operator console's tests inject axe-core from console/node_modules (the console itself
# is served from its committed build; tests/console checks that build matches console/).
npm_ci_if_changed console
if [ -z "$(fc-list :lang=zh 2>/dev/null)" ]; then
  echo "test: installing a CJK font"
  apt-get update -q && apt-get install -y -q fonts-wqy-microhei
fi

# The production-shape test (tests/ops) puts Debian's nginx in front of two instances.
if ! command -v nginx >/dev/null 2>&1 && [ ! -x /usr/sbin/nginx ]; then
  echo "test: installing nginx"
  apt-get update -q && apt-get install -y -q nginx-light
fi

# Python: the project and its test tools, the linter, the type checker on the rooms that hold
# to --strict (pyproject's [tool.mypy] lists them), then every test.
python3 -m venv .venv
.venv/bin/pip install -q -e '.[test]'
.venv/bin/ruff check .
.venv/bin/mypy
exec .venv/bin/pytest "$@"
