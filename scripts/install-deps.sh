#!/usr/bin/env bash
# Installs every Debian 12 package mamori needs to build, test and run.
# Idempotent, and fast when everything is already present: apt-get runs only
# when a package is missing. Run as root (or with sudo available).
set -euo pipefail

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
)

missing=()
for pkg in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#PACKAGES[@]} packages present" >&2
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
