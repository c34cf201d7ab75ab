#!/usr/bin/env bash
# rtl/synth/check_synth.sh [OUT_DIR] [DESIGN]: the ctest check of the synthesis flow (label
# rtl;synth). Synthesizes one small unit (default fp32_max) with rtl/synth/synth.sh and checks
# that the report is sane:
#   - the design synthesized, with cells, and the area > 0;
#   - the area equals the sum over the mapped cells of count x liberty area (recomputed here
#     from stat.txt and the liberty file, independently of yosys' `stat -liberty` total);
#   - NAND2-eq = area / area(NAND2X1), rounded;
#   - plausible magnitudes: 100 .. 5000 NAND2-eq and 0.1 .. 100 ns for a 32-bit comparator;
#   - the critical path > 0 and the OpenSTA report has a start and an end point.
# Exit 0 pass, 1 fail, 77 skipped (ctest SKIP_RETURN_CODE): yosys or the liberty file is not
# installed, or OpenSTA is not (then the area checks still ran).
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
OUT=${1:-${TMPDIR:-/tmp}/einfuse-synth-check}
DESIGN=${2:-fp32_max}
LIBERTY=${EINFUSE_LIBERTY:-/usr/share/qflow/tech/osu018/osu018_stdcells.lib}

mkdir -p "$OUT"
json=$("$HERE/synth.sh" --units "$DESIGN" --out "$OUT" --json -q 2>"$OUT/synth.stderr")
rc=$?
if [ $rc -eq 3 ]; then
  echo "SKIPPED: $(cat "$OUT/synth.stderr")"
  exit 77
fi
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
if [ $rc -ne 0 ]; then
  cat "$OUT/synth.stderr"
  fail "synth.sh exited with $rc"
fi
line=$(printf '%s\n' "$json" | grep "\"name\": \"$DESIGN\"")
field() { printf '%s\n' "$line" | sed -n "s/.*\"$1\": \\(\"[^\"]*\"\\|[^,}]*\\).*/\\1/p" | tr -d '"'; }
nand2_area=$(printf '%s\n' "$json" | sed -n 's/.*"nand2_area_um2": \([0-9.]*\).*/\1/p')
status=$(field status); cells=$(field cells); area=$(field area_um2); nand=$(field nand2_eq)
crit=$(field critical_path_ns); start=$(field startpoint); end=$(field endpoint)
echo "$DESIGN: status $status, $cells cells, $area um^2, $nand NAND2-eq (NAND2X1 = $nand2_area um^2), critical path $crit ns ($start -> $end)"

[ "$status" = ok ] || fail "status '$status'"
awk -v c="$cells" 'BEGIN{exit !(c > 0)}' || fail "no cells"
awk -v a="$area" 'BEGIN{exit !(a > 0)}' || fail "area '$area' not > 0"
awk -v a="$area" -v n="$nand" -v u="$nand2_area" 'BEGIN{e = a / u; d = n - e; exit !(u > 0 && d <= 0.5 && d >= -0.5)}' \
  || fail "NAND2-eq $nand != area / NAND2X1 area = $area / $nand2_area"
awk -v n="$nand" 'BEGIN{exit !(n >= 100 && n <= 5000)}' || fail "NAND2-eq $nand outside 100 .. 5000"

# Recompute the area: the whole design's cell list in stat.txt times the liberty areas.
recomputed=$(awk -v lib="$LIBERTY" '
  BEGIN {
    while ((getline l < lib) > 0) {
      if (match(l, /cell *\( *"?[A-Za-z0-9_]+"? *\)/)) { c = l; sub(/.*cell *\( *"?/, "", c); sub(/"? *\).*/, "", c) }
      else if (c != "" && l ~ /^ *area *:/) { a = l; sub(/.*: */, "", a); sub(/ *;.*/, "", a); area[c] = a; c = "" }
    }
  }
  /^=== /{total = 0; n = 0}
  /^ +[A-Za-z0-9_]+ +[0-9]+$/ && ($1 in area) {total += $2 * area[$1]; n += $2}
  END{printf "%.0f %d\n", total, n}' "$OUT/$DESIGN/stat.txt")
read -r rarea rcells <<< "$recomputed"
[ "$rarea" = "$area" ] || fail "area $area != sum of count x liberty area = $rarea"
[ "$rcells" = "$cells" ] || fail "cells $cells != liberty cells counted = $rcells"

if [ -z "$crit" ] || [ "$crit" = null ]; then
  if [ $fails -eq 0 ] && ! command -v "${STA:-sta}" >/dev/null 2>&1; then
    echo "SKIPPED (critical path only; area checks passed): OpenSTA 'sta' not installed (Debian package opensta)"
    exit 77
  fi
  fail "no critical path"
else
  awk -v t="$crit" 'BEGIN{exit !(t >= 0.1 && t <= 100)}' || fail "critical path $crit ns outside 0.1 .. 100"
  [ -n "$start" ] && [ -n "$end" ] || fail "no start/end point in the STA report"
fi
if [ $fails -ne 0 ]; then
  echo "$fails check(s) failed; logs in $OUT/$DESIGN"
  exit 1
fi
echo "PASS"
