#!/usr/bin/env bash
# Installs what is needed, builds, and runs the whole test suite:
#   1. the normal build (warnings as errors): unit tests + end-to-end tests;
#   2. an AddressSanitizer + UndefinedBehaviorSanitizer build: the same tests.
#   bash scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."
# A test that hangs fails, named, instead of stalling the run (the slowest
# take about 90 s under the sanitizers).
timeout_s=600

bash scripts/install-deps.sh

echo "== build (RelWithDebInfo, -Werror)" >&2
bash scripts/build.sh build -DMAMORI_BUILD_BENCHMARKS=ON
echo "== tests" >&2
ctest --test-dir build --output-on-failure -j "$(nproc)" --timeout "$timeout_s"

echo "== build (ASan + UBSan)" >&2
bash scripts/build.sh build-asan -DCMAKE_BUILD_TYPE=Debug -DMAMORI_SANITIZE=ON \
  -DMAMORI_BUILD_BENCHMARKS=OFF
echo "== tests under ASan + UBSan" >&2
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-asan --output-on-failure -j "$(nproc)" --timeout "$timeout_s"
