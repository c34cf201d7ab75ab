#!/usr/bin/env bash
# Runs the FuseMax-paper exploration as N shards in parallel on this machine (GNU parallel,
# installed by scripts/setup.sh), then merges them; OUT/merged then holds the same CSVs and
# report.html as one unsharded `einfuse explore` run (docs/explore.md, "Commands").
#   scripts/sweep_parallel.sh N OUT [-- EXTRA EXPLORE FLAGS]
#   e.g. scripts/sweep_parallel.sh 8 /tmp/sweep -- --published-model
# The binary is $EINFUSE (default: einfuse on PATH, else build/default/cli/einfuse).
# Shards go to OUT/shard-0 .. OUT/shard-(N-1); logs to OUT/shard-I.log.
set -euo pipefail
if [ $# -lt 2 ] || ! [[ "$1" =~ ^[1-9][0-9]*$ ]]; then
  echo "usage: $0 N OUT [-- EXTRA EXPLORE FLAGS]   (N >= 1 shards)" >&2
  exit 2
fi
N=$1
OUT=$2
shift 2
[ "${1:-}" = "--" ] && shift
if [ -z "${EINFUSE:-}" ]; then
  if command -v einfuse >/dev/null; then EINFUSE=einfuse
  else EINFUSE="$(cd "$(dirname "$0")/.." && pwd)/build/default/cli/einfuse"; fi
fi
command -v parallel >/dev/null || { echo "$0: GNU parallel is not installed (apt-get install parallel, or scripts/setup.sh)" >&2; exit 3; }
[ -x "$EINFUSE" ] || command -v "$EINFUSE" >/dev/null || { echo "$0: no einfuse binary at '$EINFUSE' (set EINFUSE=...)" >&2; exit 3; }
mkdir -p "$OUT"
# One shard: a function exported to the shells parallel starts (it cannot see this
# script's variables otherwise). Each shard logs to its own file (a line per ~10%).
run_shard() {
  "$EINFUSE" explore --preset fusemax-paper --shard "$1/$SWEEP_N" --out "$SWEEP_OUT/shard-$1" \
    "${EXTRA[@]}" >"$SWEEP_OUT/shard-$1.log" 2>&1 || { echo "shard $1 failed; see $SWEEP_OUT/shard-$1.log" >&2; return 1; }
}
export -f run_shard
# Extra flags travel as one shell-quoted string (arrays cannot be exported).
SWEEP_EXTRA=""
[ $# -gt 0 ] && SWEEP_EXTRA=$(printf '%q ' "$@")
export EINFUSE SWEEP_N="$N" SWEEP_OUT="$OUT" SWEEP_EXTRA
export SHELL=/bin/bash  # parallel runs jobs in $SHELL; run_shard is a bash function
# --halt now,fail=1: one failed shard stops the others, and the merge never runs on a
# partial set.
# shellcheck disable=SC2016  # expanded by parallel's shell
parallel --will-cite --halt now,fail=1 --jobs "${JOBS:-$N}" 'eval "EXTRA=($SWEEP_EXTRA)"; run_shard {}' ::: $(seq 0 $((N - 1)))
shards=()
for ((i = 0; i < N; i++)); do shards+=("$OUT/shard-$i"); done
"$EINFUSE" merge --out "$OUT/merged" "${shards[@]}"
