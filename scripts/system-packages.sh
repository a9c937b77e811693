#!/usr/bin/env bash
# Installs the Debian packages the test suite drives when one is missing, and does nothing when all
# are there (so `make test` stays fast on a prepared machine):
#   chromium + fonts-noto-cjk  the browser tests (Playwright drives Debian's chromium; Chinese text
#                              needs CJK fonts to render and to be measured)
#   nginx                      the X-Accel-Redirect tests put a real nginx in front of the server
#   nodejs + npm               axe-core and Lighthouse come from npm (package-lock.json)
#   postgresql                 the PostgreSQL pass of `make test` and the scale-out tests start a real server
#                              (Debian's 15; the tests run initdb/pg_ctl themselves, the packaged cluster is unused)
#   redis-server               shared rate-limit counters are tested against a real Redis
# `scripts/system-packages.sh bench` adds wrk for bench/. CI runs as root; elsewhere sudo is used.
set -euo pipefail

# package  command-or-check that proves it is installed
checks=(
  "chromium:command -v chromium"
  "fonts-noto-cjk:test -d /usr/share/fonts/opentype/noto"
  "nginx:command -v nginx || test -x /usr/sbin/nginx"
  "nodejs:command -v node"
  "npm:command -v npm"
  "postgresql:test -x /usr/lib/postgresql/15/bin/initdb"
  "redis-server:command -v redis-server || test -x /usr/bin/redis-server"
)
if [[ "${1:-}" == "bench" ]]; then
  checks+=("wrk:command -v wrk")
fi

missing=()
for entry in "${checks[@]}"; do
  package="${entry%%:*}"
  check="${entry#*:}"
  bash -c "$check" >/dev/null 2>&1 || missing+=("$package")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
  echo "missing system packages: ${missing[*]} (install them with your package manager)" >&2
  exit 1
fi
if [[ $(id -u) -eq 0 ]]; then
  as_root=()
elif command -v sudo >/dev/null 2>&1; then
  as_root=(sudo)
else
  echo "missing system packages: ${missing[*]}; run as root: apt-get install ${missing[*]}" >&2
  exit 1
fi
echo "installing Debian packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update -q
# another apt run (unattended upgrades, a parallel install) holds the lock for a while: wait for it
"${as_root[@]}" apt-get install -y -q -o DPkg::Lock::Timeout=600 "${missing[@]}"
