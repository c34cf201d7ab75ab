#!/usr/bin/env bash
# Device check of gpu_ref on one GPU (meant for an H200; budget: under 8 minutes).
#   1. builds the project (Release) in build/device-check,
#   2. runs the device tests (every kernel variant vs the fp64 reference, 2x-naive rule),
#   3. validates each variant through the CLI on small shapes (--check),
#   4. times a table into a CSV: prefill seq 1K..16K (batch*seq = 16K, the FlashAttention
#      benchmark setup), d = 64 (BERT heads) and 128 (Llama3-8B heads), causal and not,
#      bf16, flash and (up to 4K) naive; decode 8K..128K, Llama3-8B, flash split-KV.
# Usage: gpu_ref/device_check.sh [OUT_DIR]   (default: build/device-check/out)
# Nothing here has been run yet; see docs/gpu.md, "Measured".
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-build/device-check/out}
BUILD=build/device-check
mkdir -p "$OUT"
LOG="$OUT/device_check.log"
CSV="$OUT/gpu_times.csv"
rm -f "$CSV"
start=$(date +%s)
say() { echo "[$(( $(date +%s) - start ))s] $*" | tee -a "$LOG"; }

say "configure + build"
cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DEINFUSE_BUILD_BENCH=OFF >>"$LOG" 2>&1
cmake --build "$BUILD" --target einfuse gpu_host_tests gpu_device_tests >>"$LOG" 2>&1
grep -q "EINFUSE_GPU_HAVE_CUDA" "$BUILD/build.ninja" || { say "FAIL: CUDA was not found at configure time"; exit 3; }
E="$BUILD/cli/einfuse"
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm,memory.total --format=csv >>"$LOG" 2>&1 || true

say "host tests"
"$BUILD/tests/gpu_host_tests" >>"$LOG" 2>&1
say "device tests (every kernel variant, small shapes)"
dev_out=$("$BUILD/tests/gpu_device_tests" 2>&1) && dev_rc=0 || dev_rc=$?
echo "$dev_out" >>"$LOG"
echo "$dev_out" | tail -n 3
if echo "$dev_out" | grep -q SKIPPED; then say "FAIL: no device seen"; exit 3; fi
[ "$dev_rc" -eq 0 ] || { say "FAIL: device tests (see $LOG)"; fail_dev=1; }

fail=${fail_dev:-0}
# The CPU side of --check (fp64 reference + naive run, one thread) grows as H*P*M*d: small
# shapes only (a Llama3-8B causal check at seq 256 took 12 s on a slow 2-core machine).
# Dense (unmasked) prefill is covered by the device tests above.
check() {  # the CLI path: same inputs as `einfuse run`, 2x-naive rule
  if "$E" gpu "$@" --check >>"$LOG" 2>&1; then say "check ok:   $*"; else say "CHECK FAIL: $*"; fail=1; fi
}
say "CLI validation"
for algo in naive flash; do
  for prec in bf16 fp32; do
    check --algo $algo --precision $prec --model bert --batch 1 --seq 256 --causal
    check --algo $algo --precision $prec --model llama3_8b --seq 256 --window 64
    check --algo $algo --precision $prec --model llama3_8b --seq 2K --decode
  done
done
check --algo flash --precision bf16 --model llama3_8b --seq 2K --decode --no-split

timed() { "$E" gpu "$@" --time --csv "$CSV" >>"$LOG" 2>&1 || { say "TIME FAIL: $*"; fail=1; }; }
say "prefill table (bf16)"
for seq in 1K 2K 4K 8K 16K; do
  n=$(( ${seq%K} * 1024 )); batch=$(( 16384 / n ))
  for model in bert llama3_8b; do      # d = 64 (12 heads), d = 128 (32 heads, GQA 8)
    for mask in "" "--causal"; do
      timed --algo flash --precision bf16 --model $model --seq $seq --batch $batch $mask
      if [ "$n" -le 4096 ]; then timed --algo naive --precision bf16 --model $model --seq $seq --batch $batch $mask; fi
    done
  done
  say "  seq $seq done"
done
say "decode table (bf16, Llama3-8B, batch 1)"
for seq in 8K 16K 32K 64K 128K; do
  timed --algo flash --precision bf16 --model llama3_8b --seq $seq --decode
  say "  decode $seq done"
done
say "done in $(( $(date +%s) - start )) s; CSV: $CSV"
column -s, -t < "$CSV" | cut -c1-220 | tee -a "$LOG" || true
exit $fail
