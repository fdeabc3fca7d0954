#!/usr/bin/env bash
# Installs every Debian 12 package mamori needs to build, test and run, and
# the npm packages of the staff console (web/console) and its browser test
# (tests/browser). Idempotent, and fast when everything is already present:
# apt-get runs only when a package is missing, `npm ci` only when a
# package-lock.json is newer than what it installed. Run as root (or with sudo
# available).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)

PACKAGES=(
  # toolchain
  build-essential cmake ninja-build ccache pkg-config git
  # libraries (DESIGN.md, "Libraries")
  libsodium-dev libssl-dev libsqlite3-dev libpq-dev libboost-dev nlohmann-json3-dev
  liburiparser-dev libabsl-dev libtomlplusplus-dev libcli11-dev libfmt-dev libspdlog-dev
  libphonenumber-dev libicu-dev
  # tests and benchmarks
  libgtest-dev libgmock-dev libbenchmark-dev
  # end-to-end tests and scripts (server_test.sh: curl, and python3-jsonschema
  # to check answers against the OpenAPI document)
  jq sqlite3 util-linux curl python3-jsonschema
  # tools/verify-proof.py and its test (the auditor's independent checker)
  python3 openssl
  # the staff console's browser test (tests/browser, with playwright-core)
  chromium
)

missing=()
for pkg in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done
# Node.js and npm build the staff console (docs/console.md): Debian's, unless
# an npm is already there (another Node.js install).
if ! command -v npm >/dev/null; then missing+=(nodejs npm); fi

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#PACKAGES[@]} packages present" >&2
else
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  echo "install-deps: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# The npm packages, exactly as locked: web/console (lit, esbuild) and
# tests/browser (playwright-core, which drives Debian's chromium and
# downloads no browser).
for dir in web/console tests/browser; do
  if [ "$ROOT/$dir/node_modules/.package-lock.json" -nt "$ROOT/$dir/package-lock.json" ]; then
    continue
  fi
  echo "install-deps: npm ci in $dir" >&2
  npm ci --prefix "$ROOT/$dir" --no-audit --no-fund --loglevel=error >&2
done
