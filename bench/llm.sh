#!/usr/bin/env bash
# etch vs ExecuTorch-XNNPACK on a stories15M-shaped llama (dim 288, 6 layers, 6 heads,
# vocab 32000, max_seq_len 256, random weights), exported by ExecuTorch's own llama
# export at benchmark time (f32 and 8da4w, both XNNPACK-delegated, one token per call):
#
#   ET_PYTHON=/opt/et/bin/python bench/llm.sh            (ROUNDS=3, PREFILL=64, DECODE=64,
#                                                          FORMS="llama_et_xnnpack llama_et_8da4w_xnnpack")
#
# Both compile/run the same .pte, one core (taskset -c 0), interleaved rounds; each round
# is a prefill of PREFILL tokens then DECODE decode calls, from an empty cache.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${ET_PYTHON:?set ET_PYTHON to a python with executorch 1.5.1}"
ROUNDS=${ROUNDS:-3}; PREFILL=${PREFILL:-64}; DECODE=${DECODE:-64}
WORK=${WORK:-target/llm-bench}
mkdir -p "$WORK"
cargo build --release -q -p etch-cli
ETCH=$PWD/target/release/etch
field() { python3 -c "import json,sys; print(json.loads(sys.stdin.read())['$1'])"; }
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

read -ra forms <<< "${FORMS:-llama_et_xnnpack llama_et_8da4w_xnnpack}"
for f in "${forms[@]}"; do
  pte=$WORK/$f.pte
  [ -f "$pte" ] || "$ET_PYTHON" tests/export/llama_et.py --params bench/llm/stories15m.json --max-seq 256 --form "$f" --out "$pte" > "$WORK/$f.export.log" 2>&1
  "$ETCH" compile "$pte" -o "$WORK/$f-crate" --force > /dev/null
  run=$WORK/$f-run; mkdir -p "$run/src"
  cp bench/llm/main.rs "$run/src/main.rs"
  printf '[package]\nname = "llm-bench-%s"\nversion = "0.0.0"\nedition = "2021"\npublish = false\n\n[dependencies]\nmodel = { package = "%s-crate", path = "../%s-crate", features = ["alloc"] }\n\n[profile.release]\ncodegen-units = 1\n\n[workspace]\n' "$f" "$f" "$f" > "$run/Cargo.toml"
  (cd "$run" && cargo build --release -q)
  "$ETCH" inspect "$pte" > "$WORK/$f.inspect.txt"
done

printf '%-24s %11s %11s %10s %10s %11s %11s %8s %8s\n' form etch_tok_s et_tok_s etch_cpu et_cpu etch_prefill et_prefill etch/et cpu_et/e
for f in "${forms[@]}"; do
  e=(); x=(); ep=(); xp=(); ec=(); xc=()
  for _ in $(seq "$ROUNDS"); do
    j=$(taskset -c 0 "$WORK/$f-run/target/release/llm-bench-$f" "$PREFILL" "$DECODE" 3)
    e+=("$(echo "$j" | field decode_tok_s)"); ep+=("$(echo "$j" | field prefill_ms)"); ec+=("$(echo "$j" | field decode_cpu_ms)")
    j=$(taskset -c 0 "$ET_PYTHON" bench/llm/et.py "$WORK/$f.pte" --prefill "$PREFILL" --decode "$DECODE" --rounds 3 2>/dev/null | tail -1)
    x+=("$(echo "$j" | field decode_tok_s)"); xp+=("$(echo "$j" | field prefill_ms)"); xc+=("$(echo "$j" | field decode_cpu_ms)")
  done
  em=$(printf '%s\n' "${e[@]}" | median); xm=$(printf '%s\n' "${x[@]}" | median)
  epm=$(printf '%s\n' "${ep[@]}" | median); xpm=$(printf '%s\n' "${xp[@]}" | median)
  ecm=$(printf '%s\n' "${ec[@]}" | median); xcm=$(printf '%s\n' "${xc[@]}" | median)
  printf '%-24s %11.1f %11.1f %10.3f %10.3f %11.1f %11.1f %8.2f %8.2f\n' "$f" "$em" "$xm" "$ecm" "$xcm" "$epm" "$xpm" "$(python3 -c "print($em/$xm)")" "$(python3 -c "print($xcm/$ecm)")"
done
flags=$(grep -m1 '^flags' /proc/cpuinfo | tr ' ' '\n' | grep -E '^(avx2|fma|avx512f|avx512_vnni|avx_vnni)$' | xargs)
echo "($(date -u +%F), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs) [$flags]; decode tokens/s, decode CPU ms per token (thread CPU time) and prefill ($PREFILL tokens, one per call) ms, medians of $ROUNDS interleaved rounds, taskset -c 0, ExecuTorch with a 1-thread pool)"
for f in "${forms[@]}"; do echo "== $f"; grep -E "^etch:|state:|arena:" "$WORK/$f.inspect.txt"; done
