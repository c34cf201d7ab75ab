#!/usr/bin/env bash
# Sets up a fresh Debian 12 machine, builds, and runs every test:
#   1. the Release build and its full ctest suite (long sweeps are behind the label "long"),
#   2. the einsum and mapper tests under AddressSanitizer + UndefinedBehaviorSanitizer,
#   3. the parser fuzzer (libFuzzer, clang) for a bounded time (EINFUSE_FUZZ_SECONDS, 60).
# Ends with one line "tests: N passed, N failed" over the two ctest runs.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
jobs="${EINFUSE_JOBS:-$(nproc)}"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT

echo "== Release build and tests"
scripts/build.sh default
ctest --preset default -j "$jobs" -LE long | tee -a "$log"

echo "== einsum, mapper and isa tests under ASan + UBSan"
scripts/build.sh asan einsum_tests mapper_tests isa_tests
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 ctest --preset asan -j "$jobs" | tee -a "$log"

echo "== parser fuzzer (${EINFUSE_FUZZ_SECONDS:-60} s)"
scripts/fuzz.sh "${EINFUSE_FUZZ_SECONDS:-60}"

# "100% tests passed, 0 tests failed out of 141" -> totals over both runs.
awk '/tests passed, [0-9]+ tests failed out of/ {
       failed += $4; total += $NF
     }
     END { printf "tests: %d passed, %d failed\n", total - failed, failed }' "$log"
