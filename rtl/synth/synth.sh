#!/usr/bin/env bash
# rtl/synth/synth.sh: synthesizes the RTL units and arrays (designs.txt) with yosys for the
# OSU 0.18 um standard cells (Debian qflow-tech-osu018), hierarchy kept, and times each mapped
# netlist with OpenSTA. Reports per design: cells, flip-flops, area (um^2, from the liberty
# areas), NAND2 equivalents (area / the area of NAND2X1) and the critical path (ns); then the
# area ratios to the bf16 MAC next to the ratios of the architecture spec's area table
# (workloads/arch/fusemax.yaml, 45 nm). No tuning: default yosys/abc scripts. docs/rtl.md,
# "Synthesis", describes the flow and records the results. `einfuse rtl synth` runs this.
#
# Exit codes: 0 success, 1 a design failed to synthesize, 2 bad usage, 3 yosys (or the liberty
# file) not installed (scripts/setup.sh installs yosys, opensta and qflow-tech-osu018).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
RTL=$(dirname "$HERE")
ROOT=$(dirname "$RTL")
YOSYS=${YOSYS:-yosys}
STA=${STA:-sta}
LIBERTY=${EINFUSE_LIBERTY:-/usr/share/qflow/tech/osu018/osu018_stdcells.lib}
SPEC=$ROOT/workloads/arch/fusemax.yaml
OUT=${TMPDIR:-/tmp}/einfuse-synth
SELECT=all
JSON=0
RUN_STA=1
QUIET=0
PERIOD=1000
TIMEOUT=600
REVERSE=0

usage() {
  cat <<EOF
usage: rtl/synth/synth.sh [--units LIST] [--out DIR] [--json] [--no-sta] [--list] [-q]
                          [--spec FILE] [--period NS] [--timeout S] [--reverse]
  --units LIST  comma-separated design names of rtl/synth/designs.txt, or 'all' (default),
                'units', 'arrays'
  --out DIR     where each design's script, log, netlist and reports go, plus synth.txt and
                synth.json (default: \$TMPDIR/einfuse-synth)
  --json        print the JSON report on stdout instead of the table
  --no-sta      skip OpenSTA (no critical path)
  --list        list the designs and exit
  -q            no progress lines on stderr
  --spec FILE   the architecture spec whose area_um2 table the ratios compare with
                (default: workloads/arch/fusemax.yaml)
  --period NS   clock period given to OpenSTA (default 1000; the path is period - worst slack)
  --timeout S   limit per yosys / sta run (default 600)
  --reverse     read the design's files in reverse order: abc's mapping depends on the order
                of the netlist's names, so this gives a second sample of that noise (no tuning:
                the default order is the sorted file names)
environment: YOSYS, STA (tool commands), EINFUSE_LIBERTY (liberty file; default
  /usr/share/qflow/tech/osu018/osu018_stdcells.lib)
EOF
}

die_usage() { echo "synth.sh: $* (--help: usage)" >&2; exit 2; }

LIST=0
while [ $# -gt 0 ]; do
  case "$1" in
    --units) [ $# -ge 2 ] || die_usage "--units needs a value"; SELECT=$2; shift 2 ;;
    --units=*) SELECT=${1#*=}; shift ;;
    --out) [ $# -ge 2 ] || die_usage "--out needs a value"; OUT=$2; shift 2 ;;
    --out=*) OUT=${1#*=}; shift ;;
    --spec) [ $# -ge 2 ] || die_usage "--spec needs a value"; SPEC=$2; shift 2 ;;
    --period) [ $# -ge 2 ] || die_usage "--period needs a value"; PERIOD=$2; shift 2 ;;
    --timeout) [ $# -ge 2 ] || die_usage "--timeout needs a value"; TIMEOUT=$2; shift 2 ;;
    --json) JSON=1; shift ;;
    --no-sta) RUN_STA=0; shift ;;
    --reverse) REVERSE=1; shift ;;
    --list) LIST=1; shift ;;
    -q|--quiet) QUIET=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) die_usage "unknown argument '$1'" ;;
  esac
done

log() { [ "$QUIET" = 1 ] || echo "synth: $*" >&2; }

# --- the design table ----------------------------------------------------------------------
NAMES=(); KINDS=(); TOPS=(); PARAMS=(); DESCS=()
while read -r name kind top params desc; do
  case "$name" in ''|'#'*) continue ;; esac
  NAMES+=("$name"); KINDS+=("$kind"); TOPS+=("$top"); PARAMS+=("$params"); DESCS+=("$desc")
done < "$HERE/designs.txt"

if [ "$LIST" = 1 ]; then
  for i in "${!NAMES[@]}"; do
    printf '%-14s %-6s %-13s %-13s %s\n' "${NAMES[$i]}" "${KINDS[$i]}" "${TOPS[$i]}" "${PARAMS[$i]}" "${DESCS[$i]}"
  done
  exit 0
fi

CHOSEN=()
IFS=',' read -r -a WANT <<< "$SELECT"
for w in "${WANT[@]}"; do
  w=${w// /}
  [ -n "$w" ] || continue
  found=0
  for i in "${!NAMES[@]}"; do
    if [ "$w" = all ] || [ "$w" = "${NAMES[$i]}" ] || [ "$w" = "${KINDS[$i]}s" ]; then
      case " ${CHOSEN[*]-} " in *" $i "*) ;; *) CHOSEN+=("$i") ;; esac
      found=1
    fi
  done
  [ "$found" = 1 ] || die_usage "unknown design '$w' (see --list)"
done
[ ${#CHOSEN[@]} -gt 0 ] || die_usage "no design selected"

# --- tools -----------------------------------------------------------------------------------
if ! command -v "$YOSYS" >/dev/null 2>&1; then
  echo "synth.sh: yosys not found ('$YOSYS'); install it with scripts/setup.sh (Debian package yosys)" >&2
  exit 3
fi
if [ ! -r "$LIBERTY" ]; then
  echo "synth.sh: liberty file $LIBERTY not found; install Debian package qflow-tech-osu018 (scripts/setup.sh) or set EINFUSE_LIBERTY" >&2
  exit 3
fi
STA_NOTE=""
if [ "$RUN_STA" = 1 ] && ! command -v "$STA" >/dev/null 2>&1; then
  STA_NOTE="OpenSTA ('$STA') not found: no critical path (Debian package opensta)"
  echo "synth.sh: $STA_NOTE" >&2
  RUN_STA=0
elif [ "$RUN_STA" = 0 ]; then
  STA_NOTE="--no-sta: no critical path"
fi
YOSYS_VERSION=$("$YOSYS" -V 2>/dev/null | head -1 | sed 's/ (git.*//' || true)
STA_VERSION=""
[ "$RUN_STA" = 1 ] && STA_VERSION="OpenSTA $("$STA" -version 2>/dev/null | head -1 || true)"

# The area of the reference NAND2 (NAND2X1) in the liberty file: NAND2-eq = area / this.
NAND2_AREA=$(awk '/cell *\( *"?NAND2X1"? *\)/{c=1} c && /area *:/{gsub(/[;[:space:]]/,""); sub(/area:/,""); print; exit}' "$LIBERTY")
[ -n "$NAND2_AREA" ] || { echo "synth.sh: no NAND2X1 cell with an area in $LIBERTY" >&2; exit 3; }

mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.1f", b - a}'; }

# fill TEMPLATE VAR=VALUE...: the template with every @VAR@ replaced.
fill() {
  local text
  text=$(cat "$1"); shift
  local kv
  for kv in "$@"; do text=${text//@${kv%%=*}@/${kv#*=}}; done
  printf '%s\n' "$text"
}

# --- per design --------------------------------------------------------------------------------
R_STATUS=(); R_CELLS=(); R_FLOPS=(); R_AREA=(); R_NAND=(); R_CRIT=(); R_START=(); R_END=()
R_SYN_S=(); R_STA_S=(); R_NOTE=()
FAILED=0
for i in "${CHOSEN[@]}"; do
  name=${NAMES[$i]}; kind=${KINDS[$i]}; top=${TOPS[$i]}; params=${PARAMS[$i]}
  R_STATUS[$i]=skipped; R_CELLS[$i]=""; R_FLOPS[$i]=""; R_AREA[$i]=""; R_NAND[$i]=""
  R_CRIT[$i]=""; R_START[$i]=""; R_END[$i]=""; R_SYN_S[$i]=""; R_STA_S[$i]=""; R_NOTE[$i]=""
  topfile=$RTL/${kind}s/$top.v
  if [ ! -f "$topfile" ]; then
    R_NOTE[$i]="no rtl/${kind}s/$top.v"
    log "$name: skipped (${R_NOTE[$i]})"
    continue
  fi
  dir=$OUT/$name
  mkdir -p "$dir"
  rm -f "$dir/stat.txt" "$dir/netlist.v" "$dir/sta.log"
  sources=$(ls "$RTL"/units/*.v | tr '\n' ' ')
  includes="-I$RTL/units"
  if [ "$kind" = array ]; then
    sources="$(ls "$RTL"/arrays/*.v | tr '\n' ' ')$sources"
    includes="$includes -I$RTL/arrays"
  fi
  chparam=""
  if [ "$params" != - ]; then
    chparam="chparam"
    IFS=',' read -r -a plist <<< "$params"
    for p in "${plist[@]}"; do chparam="$chparam -set ${p%%=*} ${p#*=}"; done
    chparam="$chparam $top"
  fi
  log "$name: yosys, top $top, parameters $params ..."
  t0=$(now)
  # Pass 1: which modules (hence files) the design uses.
  rm -f "$dir/modules.txt"
  fill "$HERE/modules.ys.in" INCLUDES="$includes" SOURCES="$sources" CHPARAM="$chparam" TOP="$top" \
       OUTDIR="$dir" > "$dir/modules.ys"
  if ! timeout "$TIMEOUT" "$YOSYS" -q -l "$dir/modules.log" -s "$dir/modules.ys" >/dev/null 2>&1 \
      || [ ! -s "$dir/modules.txt" ]; then
    R_STATUS[$i]=failed
    R_NOTE[$i]="yosys failed: $(grep -m1 -E 'ERROR' "$dir/modules.log" 2>/dev/null || echo "see $dir/modules.log")"
    log "$name: ${R_NOTE[$i]}"
    FAILED=1
    continue
  fi
  used=""
  for m in $(awk 'NR > 1 && NF == 1 {m = $1; sub(/^\$paramod[^\\]*\\/, "", m); sub(/\\.*$/, "", m);
                                     sub(/^\\/, "", m); print m}' "$dir/modules.txt" | sort -u); do
    f=$(grep -lE "^[[:space:]]*module[[:space:]]+$m([^A-Za-z0-9_\$]|\$)" $sources 2>/dev/null | head -1 || true)
    if [ -z "$f" ]; then used=$sources; break; fi
    case " $used " in *" $f "*) ;; *) used="$used $f" ;; esac
  done
  if [ "$REVERSE" = 1 ]; then
    used=$(printf '%s\n' $used | sort -r | tr '\n' ' ')
  else
    used=$(printf '%s\n' $used | sort | tr '\n' ' ')
  fi
  fill "$HERE/synth.ys.in" INCLUDES="$includes" SOURCES="$used" CHPARAM="$chparam" TOP="$top" \
       LIBERTY="$LIBERTY" OUTDIR="$dir" > "$dir/synth.ys"
  if ! timeout "$TIMEOUT" "$YOSYS" -q -l "$dir/yosys.log" -s "$dir/synth.ys" >/dev/null 2>&1 \
      || [ ! -s "$dir/stat.txt" ]; then
    R_STATUS[$i]=failed
    R_NOTE[$i]="yosys failed: $(grep -m1 -E 'ERROR' "$dir/yosys.log" 2>/dev/null || echo "see $dir/yosys.log")"
    log "$name: ${R_NOTE[$i]}"
    FAILED=1
    continue
  fi
  t1=$(now)
  R_SYN_S[$i]=$(elapsed "$t0" "$t1")
  # The last section of stat is the whole design ("design hierarchy", or the only module).
  read -r cells flops area < <(awk '
    /^=== /{cells = ""; flops = 0}
    /Number of cells:/{cells = $NF}
    /^ +(DFF|LATCH)[A-Za-z0-9_]* +[0-9]+$/{flops += $2}
    /Chip area for (top )?module/{area = $NF}
    END{print (cells == "" ? 0 : cells), flops, (area == "" ? 0 : area)}' "$dir/stat.txt")
  R_CELLS[$i]=$cells; R_FLOPS[$i]=$flops
  R_AREA[$i]=$(awk -v a="$area" 'BEGIN{printf "%.0f", a}')
  R_NAND[$i]=$(awk -v a="$area" -v n="$NAND2_AREA" 'BEGIN{printf "%.0f", a / n}')
  R_STATUS[$i]=ok
  if [ "$RUN_STA" = 1 ]; then
    fill "$HERE/sta.tcl.in" LIBERTY="$LIBERTY" OUTDIR="$dir" TOP="$top" PERIOD="$PERIOD" > "$dir/sta.tcl"
    t2=$(now)
    timeout "$TIMEOUT" "$STA" -no_splash -exit "$dir/sta.tcl" > "$dir/sta.log" 2>&1 || true
    t3=$(now)
    R_STA_S[$i]=$(elapsed "$t2" "$t3")
    slack=$(awk '/^worst slack/{print $3}' "$dir/sta.log" | tail -1)
    if [[ "$slack" =~ ^-?[0-9.]+$ ]]; then
      R_CRIT[$i]=$(awk -v p="$PERIOD" -v s="$slack" 'BEGIN{printf "%.2f", p - s}')
      R_START[$i]=$(awk '/^Startpoint:/{sub(/^Startpoint: /, ""); print; exit}' "$dir/sta.log")
      R_END[$i]=$(awk '/^Endpoint:/{sub(/^Endpoint: /, ""); print; exit}' "$dir/sta.log")
    else
      R_NOTE[$i]="no timing path (see $dir/sta.log)"
    fi
  fi
  log "$name: ${R_AREA[$i]} um^2 = ${R_NAND[$i]} NAND2-eq, ${R_CELLS[$i]} cells (${R_FLOPS[$i]} flops)${R_CRIT[$i]:+, critical path ${R_CRIT[$i]} ns}, ${R_SYN_S[$i]} s"
done

# --- ratios to the MAC, ours vs the spec's area table --------------------------------------------
spec_area() {  # spec_area KEY: the value of area_um2.KEY in $SPEC, or empty
  [ -r "$SPEC" ] || return 0
  awk -v key="$1" '
    /^area_um2:/{in_t = 1; next}
    in_t && /^[^ #]/{in_t = 0}
    in_t {line = $0; sub(/#.*/, "", line); gsub(/[[:space:]]/, "", line)
          if (index(line, key ":") == 1) {print substr(line, length(key) + 2); exit}}' "$SPEC"
}
area_of() {  # area_of DESIGN: its area if synthesized in this run
  local i
  for i in "${CHOSEN[@]}"; do
    if [ "${NAMES[$i]}" = "$1" ] && [ "${R_STATUS[$i]}" = ok ]; then echo "${R_AREA[$i]}"; return; fi
  done
}
ratio() { [ -n "$1" ] && [ -n "$2" ] && awk -v a="$1" -v b="$2" 'BEGIN{printf "%.3f", a / b}' || true; }
# label | our design | spec key | note
RATIO_DEFS=(
  "exp/MAC|fp32_exp|exp|table exp (64 entries + quadratic) vs FLAT's exp unit"
  "recip/MAC|fp32_recip|divide|ours: reciprocal (seed + 2 Newton steps); the spec: a divider"
  "max/MAC|fp32_max|max|fp32 comparator + mux"
  "PE/MAC|pe2d|pe2d|2D-array PE (exp on the MAC) vs FuseMax's 2D PE with its registers"
)
MAC_OURS=$(area_of bf16_mac)
MAC_SPEC=$(spec_area mac)
RT_LABEL=(); RT_OURS=(); RT_SPEC=(); RT_ODES=(); RT_SKEY=(); RT_NOTE=()
for def in "${RATIO_DEFS[@]}"; do
  IFS='|' read -r label design key note <<< "$def"
  RT_LABEL+=("$label"); RT_ODES+=("$design"); RT_SKEY+=("$key"); RT_NOTE+=("$note")
  RT_OURS+=("$(ratio "$(area_of "$design")" "$MAC_OURS")")
  RT_SPEC+=("$(ratio "$(spec_area "$key")" "$MAC_SPEC")")
done

# --- reports -------------------------------------------------------------------------------------
DATE=$(date +%Y-%m-%d)
table() {
  echo "einfuse rtl synth, $DATE: $YOSYS_VERSION (synth -noshare, hierarchy kept, abc -liberty)${STA_VERSION:+, $STA_VERSION}"
  echo "library: $LIBERTY (NAND2X1 = $NAND2_AREA um^2); area = sum of cell areas, no wiring"
  [ "$REVERSE" = 0 ] || echo "files read in reverse order (--reverse)"
  [ -z "$STA_NOTE" ] || echo "note: $STA_NOTE"
  echo
  printf '%-14s %-13s %7s %6s %11s %9s %9s %7s\n' design params cells flops "area um^2" NAND2-eq "crit ns" "time s"
  for i in "${CHOSEN[@]}"; do
    if [ "${R_STATUS[$i]}" = ok ]; then
      printf '%-14s %-13s %7s %6s %11s %9s %9s %7s\n' "${NAMES[$i]}" "${PARAMS[$i]}" "${R_CELLS[$i]}" \
        "${R_FLOPS[$i]}" "${R_AREA[$i]}" "${R_NAND[$i]}" "${R_CRIT[$i]:--}" "${R_SYN_S[$i]}"
    else
      printf '%-14s %-13s %s\n' "${NAMES[$i]}" "${PARAMS[$i]}" "${R_STATUS[$i]}: ${R_NOTE[$i]}"
    fi
  done
  echo
  echo "area ratios to the bf16 MAC (bf16_mac), ours at 0.18 um vs the spec ($(basename "$SPEC") area_um2, 45 nm):"
  printf '%-10s %-11s %8s %8s  %s\n' ratio ours ours spec note
  for k in "${!RT_LABEL[@]}"; do
    printf '%-10s %-11s %8s %8s  %s\n' "${RT_LABEL[$k]}" "${RT_ODES[$k]}" "${RT_OURS[$k]:-n/a}" \
      "${RT_SPEC[$k]:-n/a}" "${RT_NOTE[$k]}"
  done
  for k in "${!RT_LABEL[@]}"; do
    if [ -z "${RT_OURS[$k]}" ]; then
      echo "(ours n/a: bf16_mac or the design was not synthesized in this run; --units all gives every ratio)"
      break
    fi
  done
  echo
  echo "per design: $OUT/<design>/{synth.ys,yosys.log,stat.txt,netlist.v,sta.tcl,sta.log}"
}

jstr() {  # a JSON string
  local s=$1
  s=${s//\\/\\\\}; s=${s//\"/\\\"}; s=${s//$'\t'/ }; s=${s//$'\n'/ }
  printf '"%s"' "$s"
}
jnum() { if [ -n "$1" ]; then printf '%s' "$1"; else printf 'null'; fi; }
json() {
  echo "{"
  echo "  \"date\": $(jstr "$DATE"),"
  echo "  \"yosys\": $(jstr "$YOSYS_VERSION"),"
  echo "  \"sta\": $(if [ -n "$STA_VERSION" ]; then jstr "$STA_VERSION"; else echo null; fi),"
  echo "  \"sta_note\": $(jstr "$STA_NOTE"),"
  echo "  \"liberty\": $(jstr "$LIBERTY"),"
  echo "  \"nand2_area_um2\": $NAND2_AREA,"
  echo "  \"period_ns\": $PERIOD,"
  echo "  \"file_order\": \"$([ "$REVERSE" = 1 ] && echo reverse || echo sorted)\","
  echo "  \"out\": $(jstr "$OUT"),"
  echo "  \"designs\": ["
  local first=1 i k
  for i in "${CHOSEN[@]}"; do
    [ "$first" = 1 ] || echo ","
    first=0
    printf '    {"name": %s, "kind": %s, "top": %s, "params": %s, "description": %s, "status": %s, ' \
      "$(jstr "${NAMES[$i]}")" "$(jstr "${KINDS[$i]}")" "$(jstr "${TOPS[$i]}")" \
      "$(jstr "${PARAMS[$i]/#-/}")" "$(jstr "${DESCS[$i]}")" "$(jstr "${R_STATUS[$i]}")"
    printf '"cells": %s, "flops": %s, "area_um2": %s, "nand2_eq": %s, "critical_path_ns": %s, ' \
      "$(jnum "${R_CELLS[$i]}")" "$(jnum "${R_FLOPS[$i]}")" "$(jnum "${R_AREA[$i]}")" \
      "$(jnum "${R_NAND[$i]}")" "$(jnum "${R_CRIT[$i]}")"
    printf '"startpoint": %s, "endpoint": %s, "synth_s": %s, "sta_s": %s, "note": %s}' \
      "$(jstr "${R_START[$i]}")" "$(jstr "${R_END[$i]}")" "$(jnum "${R_SYN_S[$i]}")" \
      "$(jnum "${R_STA_S[$i]}")" "$(jstr "${R_NOTE[$i]}")"
  done
  echo
  echo "  ],"
  echo "  \"spec\": $(jstr "$SPEC"),"
  echo "  \"ratios\": ["
  first=1
  for k in "${!RT_LABEL[@]}"; do
    [ "$first" = 1 ] || echo ","
    first=0
    printf '    {"ratio": %s, "ours_design": %s, "ours": %s, "spec_key": %s, "spec": %s, "note": %s}' \
      "$(jstr "${RT_LABEL[$k]}")" "$(jstr "${RT_ODES[$k]}")" "$(jnum "${RT_OURS[$k]}")" \
      "$(jstr "${RT_SKEY[$k]}")" "$(jnum "${RT_SPEC[$k]}")" "$(jstr "${RT_NOTE[$k]}")"
  done
  echo
  echo "  ]"
  echo "}"
}

table > "$OUT/synth.txt"
json > "$OUT/synth.json"
if [ "$JSON" = 1 ]; then cat "$OUT/synth.json"; else cat "$OUT/synth.txt"; fi
exit $FAILED
