#!/usr/bin/env bash
# Sets up a fresh Debian 12 machine, builds Einfuse, and runs the main job: the FuseMax paper's
# evaluation reproduced on the built-in workloads (five designs x four models x six lengths,
# attention and end to end, and the array-size sweep), written to results/fusemax-paper/
# (CSVs and report.html; docs/paper-reproduction.md). Extra arguments go to `einfuse explore`
# (e.g. --published-model); the summary of the built-in cascades follows.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh default einfuse
build/default/cli/einfuse explore --preset fusemax-paper --out results/fusemax-paper "$@"
build/default/cli/einfuse summary
