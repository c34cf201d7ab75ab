#!/usr/bin/env bash
# Builds the libFuzzer target for the cascade parser with clang and runs it for a bounded
# time (seconds, default 60) from the shipped cascades as seed corpus. Fails on any crash.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
scripts/build.sh fuzz fuzz_parser
work="build/fuzz/corpus"
mkdir -p "$work"
cp workloads/attention/*.ein fuzz/corpus/* "$work"/ 2>/dev/null || true
build/fuzz/fuzz/fuzz_parser -max_total_time="$seconds" -max_len=4096 -timeout=10 \
  -dict=fuzz/cascade.dict "$work" 2>&1 | tail -n 5
