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
# onnxruntime (ort_ms, bench/ort.py: one thread, the same seeded weights exported to ONNX,
# checked against ExecuTorch's case 0 first) is the second peer; ORT=0 leaves it out.
# PORTABLE=0 leaves out ExecuTorch's portable program (resnet18 takes seconds per run there).
# A model the zoo lacks (resnet18) is exported once from tests/export/zoo_extra.py into
# target/bench-zoo (45 MB, never committed).
set -euo pipefail
cd "$(dirname "$0")/.."
: "${ET_PYTHON:?set ET_PYTHON to a python with executorch 1.5.1}"
ZOO=${ZOO:-../shared/models}
ROUNDS=${ROUNDS:-3}
PROGRAM=${PROGRAM:-model.pte}
MODELS=("${@:-digits_cnn mobilenet_v2}")
read -r -a MODELS <<< "${MODELS[*]}"

ORT=${ORT:-1}
PORTABLE=${PORTABLE:-1}
cargo build --release -q -p etch-cli
ETCH=target/release/etch
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
field() { python3 -c "import json,sys; print(json.loads(sys.stdin.read())['$1'])"; }

printf '%-20s %10s %10s %11s %10s %10s %10s %13s %12s %8s\n' model etch_ms nostd_ms portable_ms xnnpack_ms ort_ms nostd/etch etch/portable etch/xnnpack etch/ort
for m in "${MODELS[@]}"; do
  dir=$ZOO/$m; zoo_py=$ZOO/zoo.py
  if [ ! -d "$dir" ]; then
    dir=target/bench-zoo/$m; zoo_py=tests/export/zoo_extra.py
    [ -d "$dir" ] || ZOO=$zoo_py "$ET_PYTHON" "$ZOO/export.py" target/bench-zoo "$m" > /dev/null
  fi
  iters_var="ITERS_$m"; iters=${!iters_var:-20}
  # Build once outside the timed rounds.
  $ETCH bench "$dir/$PROGRAM" "$dir" --iters 1 --json > /dev/null 2>&1
  $ETCH bench "$dir/$PROGRAM" "$dir" --iters 1 --json --no-std > /dev/null 2>&1
  [ "$ORT" = 0 ] || "$ET_PYTHON" bench/ort.py "$dir" --zoo-py "$zoo_py" --iters 1 > /dev/null 2>&1 || echo "$m: onnxruntime export or check failed (bench/ort.py $dir)" >&2
  e=(); s=(); p=(); x=(); o=()
  for _ in $(seq "$ROUNDS"); do
    e+=("$(taskset -c 0 $ETCH bench "$dir/$PROGRAM" "$dir" --iters "$iters" --json 2>/dev/null | field median_ms)")
    s+=("$(taskset -c 0 $ETCH bench "$dir/$PROGRAM" "$dir" --iters "$iters" --json --no-std 2>/dev/null | field median_ms)")
    if [ "$PORTABLE" != 0 ]; then
      p+=("$(taskset -c 0 "$ET_PYTHON" "$ZOO/bench_executorch.py" "$dir/model.pte" "$dir/cases/0" --iters "$(( iters > 5 ? 5 : iters ))" --warmup 1 2>/dev/null | field median_ms)")
    fi
    if [ -f "$dir/model.xnnpack.pte" ]; then
      x+=("$(taskset -c 0 "$ET_PYTHON" "$ZOO/bench_executorch.py" "$dir/model.xnnpack.pte" "$dir/cases/0" --iters "$iters" 2>/dev/null | field median_ms)")
    fi
    if [ "$ORT" != 0 ] && [ -f "target/bench-onnx/$m.onnx" ]; then
      o+=("$(taskset -c 0 "$ET_PYTHON" bench/ort.py "$dir" --zoo-py "$zoo_py" --iters "$iters" 2>/dev/null | field median_ms)")
    fi
  done
  em=$(printf '%s\n' "${e[@]}" | median); sm=$(printf '%s\n' "${s[@]}" | median); pm=$( ((${#p[@]})) && printf '%s\n' "${p[@]}" | median || echo nan)
  xm=$( ((${#x[@]})) && printf '%s\n' "${x[@]}" | median || echo nan)
  om=$( ((${#o[@]})) && printf '%s\n' "${o[@]}" | median || echo nan)
  ratio() { python3 -c "a, b = float('$1'), float('$2'); print(a / b if b == b else b)"; }
  printf '%-20s %10.4f %10.4f %11.4f %10.4f %10.4f %10.2f %13.2f %12.2f %8.2f\n' "$m" "$em" "$sm" "$pm" "$xm" "$om" \
    "$(ratio "$sm" "$em")" "$(ratio "$em" "$pm")" "$(ratio "$em" "$xm")" "$(ratio "$em" "$om")"
done
flags=$(grep -m1 '^flags' /proc/cpuinfo | tr ' ' '\n' | grep -E '^(avx2|fma|avx512f|avx512_vnni)$' | xargs)
echo "($(date -u +%F), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs) [$flags]; medians of $ROUNDS interleaved rounds, taskset -c 0)"
