#!/usr/bin/env bash
# etch and ExecuTorch-XNNPACK on 1 and THREADS threads, interleaved rounds, both on the same cores.
#
#   ET_PYTHON=/opt/et/bin/python bench/threads.sh [MODEL ...]      (default: mobilenet_v2)
#
# ET_PYTHON is a python with executorch 1.5.1 (see ../shared/models/README.md).
# ZOO defaults to ../shared/models (resnet18: target/bench-zoo, as bench/compare.sh exports it);
# THREADS (2), CPUS (0-1, the cores every run is pinned to), ROUNDS (5) and ITERS (40) tune the runs.
# etch is built with its `threads` feature (`etch bench --threads N`); XNNPACK's pool is sized by
# bench_executorch.py --threads. Prints medians of the rounds' medians and the ratios the
# issue asks for: etch on N threads / XNNPACK on N, and each one's speedup over its own 1 thread.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${ET_PYTHON:?set ET_PYTHON to a python with executorch 1.5.1}"
ZOO=${ZOO:-../shared/models}
THREADS=${THREADS:-2}
CPUS=${CPUS:-0-1}
ROUNDS=${ROUNDS:-5}
ITERS=${ITERS:-40}
MODELS=("${@:-mobilenet_v2}")
cargo build --release -q -p etch-cli
ETCH=target/release/etch
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
field() { python3 -c "import json,sys; print(json.loads(sys.stdin.read())['$1'])"; }

echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs) (family $(grep -m1 'cpu family' /proc/cpuinfo | cut -d: -f2 | xargs), model $(grep -m1 '^model\s' /proc/cpuinfo | cut -d: -f2 | xargs)), cores $CPUS, $THREADS threads, medians of $ROUNDS interleaved rounds of $ITERS"
printf '%-20s %9s %9s %9s %9s %12s %12s %12s\n' model etch_1 etch_N xnn_1 xnn_N etch_N/xnn_N etch_speedup xnn_speedup
for m in "${MODELS[@]}"; do
  dir=$ZOO/$m
  [ -d "$dir" ] || dir=target/bench-zoo/$m
  [ -d "$dir" ] || { echo "$m: no $ZOO/$m or target/bench-zoo/$m (bench/compare.sh exports resnet18)" >&2; exit 1; }
  # Build both variants once outside the timed rounds.
  $ETCH bench "$dir/model.pte" "$dir" --iters 1 > /dev/null 2>&1
  $ETCH bench "$dir/model.pte" "$dir" --iters 1 --threads "$THREADS" > /dev/null 2>&1
  : > /tmp/etch_threads_$$.txt
  for r in $(seq "$ROUNDS"); do
    for t in 1 "$THREADS"; do
      e=$(taskset -c "$CPUS" $ETCH bench "$dir/model.pte" "$dir" --json --iters "$ITERS" --threads "$t" 2>/dev/null | field median_ms)
      x=$(taskset -c "$CPUS" "$ET_PYTHON" "$ZOO/bench_executorch.py" "$dir/model.xnnpack.pte" "$dir/cases/0" --iters "$ITERS" --threads "$t" 2>/dev/null | tail -1 | field median_ms)
      echo "$t $e $x" >> /tmp/etch_threads_$$.txt
    done
  done
  pick() { awk -v t="$1" -v c="$2" '$1 == t {print $c}' /tmp/etch_threads_$$.txt | median; }
  e1=$(pick 1 2); en=$(pick "$THREADS" 2); x1=$(pick 1 3); xn=$(pick "$THREADS" 3)
  ratio() { python3 -c "print(float('$1') / float('$2'))"; }
  printf '%-20s %9.3f %9.3f %9.3f %9.3f %12.2f %12.2f %12.2f\n' "$m" "$e1" "$en" "$x1" "$xn" \
    "$(ratio "$en" "$xn")" "$(ratio "$e1" "$en")" "$(ratio "$x1" "$xn")"
done
rm -f /tmp/etch_threads_$$.txt
