#!/usr/bin/env bash
# Sets up a fresh Debian 12 machine, builds Einfuse, and runs the main job: analyse and run
# every built-in attention cascade and print the summary table.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh default
build/default/cli/einfuse summary "$@"
