#!/usr/bin/env bash
# Configures and builds one CMake preset (default: Release), optionally only some targets.
# Usage: scripts/build.sh [preset] [target...]
set -euo pipefail
cd "$(dirname "$0")/.."
preset="${1:-default}"
shift || true
jobs="${EINFUSE_JOBS:-$(nproc)}"
# Paths relative to the checkout, so that ccache hits across clones (CI builds a fresh one).
export CCACHE_BASEDIR="$PWD"
export CCACHE_NOHASHDIR=1
cmake --preset "$preset" >/dev/null
targets=()
for t in "$@"; do targets+=(--target "$t"); done
cmake --build --preset "$preset" -j "$jobs" "${targets[@]}"
