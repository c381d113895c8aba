#!/usr/bin/env bash
# etch vs ExecuTorch (portable and XNNPACK) on the same inputs, one core, interleaved rounds.
#
#   ET_PYTHON=/opt/et/bin/python bench/compare.sh [MODEL ...]      (default: digits_cnn mobilenet_v2)
#
# ET_PYTHON is a python with executorch 1.5.1 (see ../shared/models/README.md).
# ZOO defaults to ../shared/models; ROUNDS (3) and ITERS_<model> tune the runs.
# PROGRAM=model.xnnpack.pte makes etch compile the XNNPACK twin instead of the portable program.
# etch runs twice per round: with the generated crate's `std` feature (etch_ms) and in its
# default no_std build (nostd_ms); the two should match (run-time CPU detection needs no std).
set -euo pipefail
cd "$(dirname "$0")/.."
: "${ET_PYTHON:?set ET_PYTHON to a python with executorch 1.5.1}"
ZOO=${ZOO:-../shared/models}
ROUNDS=${ROUNDS:-3}
PROGRAM=${PROGRAM:-model.pte}
MODELS=("${@:-digits_cnn mobilenet_v2}")
read -r -a MODELS <<< "${MODELS[*]}"

cargo build --release -q -p etch-cli
ETCH=target/release/etch
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
field() { python3 -c "import json,sys; print(json.loads(sys.stdin.read())['$1'])"; }

printf '%-20s %12s %12s %12s %12s %12s %12s %12s\n' model etch_ms nostd_ms portable_ms xnnpack_ms nostd/etch etch/portable etch/xnnpack
for m in "${MODELS[@]}"; do
  dir=$ZOO/$m
  iters_var="ITERS_$m"; iters=${!iters_var:-20}
  # Build once outside the timed rounds.
  $ETCH bench "$dir/$PROGRAM" "$dir" --iters 1 --json > /dev/null 2>&1
  $ETCH bench "$dir/$PROGRAM" "$dir" --iters 1 --json --no-std > /dev/null 2>&1
  e=(); s=(); p=(); x=()
  for _ in $(seq "$ROUNDS"); do
    e+=("$(taskset -c 0 $ETCH bench "$dir/$PROGRAM" "$dir" --iters "$iters" --json 2>/dev/null | field median_ms)")
    s+=("$(taskset -c 0 $ETCH bench "$dir/$PROGRAM" "$dir" --iters "$iters" --json --no-std 2>/dev/null | field median_ms)")
    p+=("$(taskset -c 0 "$ET_PYTHON" "$ZOO/bench_executorch.py" "$dir/model.pte" "$dir/cases/0" --iters "$(( iters > 5 ? 5 : iters ))" --warmup 1 2>/dev/null | field median_ms)")
    if [ -f "$dir/model.xnnpack.pte" ]; then
      x+=("$(taskset -c 0 "$ET_PYTHON" "$ZOO/bench_executorch.py" "$dir/model.xnnpack.pte" "$dir/cases/0" --iters "$iters" 2>/dev/null | field median_ms)")
    fi
  done
  em=$(printf '%s\n' "${e[@]}" | median); sm=$(printf '%s\n' "${s[@]}" | median); pm=$(printf '%s\n' "${p[@]}" | median)
  xm=$( ((${#x[@]})) && printf '%s\n' "${x[@]}" | median || echo nan)
  printf '%-20s %12.4f %12.4f %12.4f %12.4f %12.2f %12.2f %12.2f\n' "$m" "$em" "$sm" "$pm" "$xm" \
    "$(python3 -c "print($sm/$em)")" "$(python3 -c "print($em/$pm)")" "$(python3 -c "print($em/$xm if '$xm' != 'nan' else float('nan'))")"
done
flags=$(grep -m1 '^flags' /proc/cpuinfo | tr ' ' '\n' | grep -E '^(avx2|fma|avx512f|avx512_vnni)$' | xargs)
echo "($(date -u +%F), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs) [$flags]; medians of $ROUNDS interleaved rounds, taskset -c 0)"
