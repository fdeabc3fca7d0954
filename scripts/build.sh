#!/usr/bin/env bash
# Configures and builds mamori with CMake + Ninja (+ ccache).
#   scripts/build.sh [BUILD_DIR] [extra cmake args...]
# BUILD_DIR defaults to build/. Warnings are errors here, as in CI.
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir="${1:-build}"
# Let ccache share results between clones in different folders (CI builds a
# fresh clone each time): paths relative to the repository, cwd not hashed.
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=1
shift || true
cmake -S . -B "$build_dir" -G Ninja -DMAMORI_WERROR=ON "$@" >/dev/null
cmake --build "$build_dir" -j "$(nproc)"
