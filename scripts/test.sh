#!/usr/bin/env bash
# Sets up a fresh Debian 12 machine, builds, and runs every test:
#   1. the Release build and its full ctest suite (the long sweeps are behind the label "long"),
#   2. the einsum tests under AddressSanitizer + UndefinedBehaviorSanitizer,
#   3. the parser fuzzer (libFuzzer, clang) for a bounded time.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
jobs="${EINFUSE_JOBS:-$(nproc)}"

echo "== Release build and tests"
scripts/build.sh default
ctest --preset default -j "$jobs" -LE long

echo "== einsum tests under ASan + UBSan"
scripts/build.sh asan einsum_tests
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 ctest --preset asan -j "$jobs"

echo "== parser fuzzer (${EINFUSE_FUZZ_SECONDS:-60} s)"
scripts/fuzz.sh "${EINFUSE_FUZZ_SECONDS:-60}"
