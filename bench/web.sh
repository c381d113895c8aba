#!/usr/bin/env bash
# mobilenet_v2 (f32) in wasm, one thread, on one core, in interleaved rounds:
# etch's module with relaxed SIMD (fused multiply-add), with SIMD128 alone and
# without (scalar kernels), onnxruntime-web
# (npm, wasm backend, SIMD, 1 thread) on the same model exported to ONNX from
# the zoo's seeded weights, and native etch (`etch bench`) for reference.
# Every run checks its logits against ExecuTorch's case 0 (a mismatch fails).
#
#   bench/web.sh            ROUNDS (3), ITERS (20); ET_PYTHON (/opt/et/bin/python) for the export
#
# Installs onnxruntime-web with npm into $ORT_DIR (default target/ort-web) and
# onnx + onnxscript into ET_PYTHON's venv if they are missing; the .onnx is made
# here, never committed. Needs the toolchain of .ci/install-targets.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
export ETCH_ZOO=$(realpath "${ETCH_ZOO:-../shared/models}")
ET_PYTHON=${ET_PYTHON:-/opt/et/bin/python}
ROUNDS=${ROUNDS:-3}
ITERS=${ITERS:-20}
export ORT_DIR=$(realpath -m "${ORT_DIR:-target/ort-web}")
out=$(realpath -m target/web-bench)
mkdir -p "$out" "$ORT_DIR"
dir=$ETCH_ZOO/mobilenet_v2
read -r atol rtol < <(python3 -c "import json; d = json.load(open('$dir/meta.json')); print(d['atol'], d['rtol'])")

# etch for wasm32: with SIMD128 (and its relaxed SIMD build), and the scalar kernels
# (SIMD=0, its own target dir).
examples/web/build-mobilenet.sh "$out/simd"
SIMD=0 examples/web/build-mobilenet.sh "$out/scalar"
# The same model in ONNX.
"$ET_PYTHON" -c "import onnx, onnxscript" 2>/dev/null || "$ET_PYTHON" -m pip install -q onnx onnxscript
[[ -f $out/mobilenet_v2.onnx ]] || "$ET_PYTHON" bench/export_onnx.py "$ETCH_ZOO" "$out/mobilenet_v2.onnx"
[[ -d $ORT_DIR/node_modules/onnxruntime-web ]] || (cd "$ORT_DIR" && npm install --silent --no-save onnxruntime-web)
# Native etch: built once outside the timed rounds.
cargo build --release -q -p etch-cli
ETCH=target/release/etch
$ETCH bench "$dir/model.pte" "$dir" --iters 1 --json >/dev/null

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
field() { python3 -c "import json,sys; print(json.loads(sys.stdin.read().strip().splitlines()[-1])['$1'])"; }
node_etch() { taskset -c 0 node --experimental-wasm-relaxed-simd bench/web/etch.mjs "$out/$1" "mobilenet_v2${2:-}" "$dir/cases/0" "$atol" "$rtol" "$ITERS" 3 | field median_ms; }
x=(); s=(); c=(); o=(); n=()
for r in $(seq "$ROUNDS"); do
  x+=("$(node_etch simd .relaxed)")
  s+=("$(node_etch simd)")
  c+=("$(node_etch scalar)")
  o+=("$(taskset -c 0 node bench/web/ort.mjs "$out/mobilenet_v2.onnx" "$dir/cases/0" "$atol" "$rtol" "$ITERS" 3 | field median_ms)")
  n+=("$(taskset -c 0 $ETCH bench "$dir/model.pte" "$dir" --iters "$ITERS" --json 2>/dev/null | field median_ms)")
  echo "round $r: etch-wasm-relaxed ${x[-1]} ms, etch-wasm-simd ${s[-1]} ms, etch-wasm-scalar ${c[-1]} ms, onnxruntime-web ${o[-1]} ms, etch-native ${n[-1]} ms"
done
xm=$(printf '%s\n' "${x[@]}" | median); sm=$(printf '%s\n' "${s[@]}" | median); cm=$(printf '%s\n' "${c[@]}" | median)
om=$(printf '%s\n' "${o[@]}" | median); nm=$(printf '%s\n' "${n[@]}" | median)
ratio() { python3 -c "print(f'{$1/$2:.2f}')"; }
printf '%-16s %11s %10s %10s %10s %10s %12s %15s %10s %10s\n' model relaxed_ms simd_ms scalar_ms ort_ms native_ms relaxed/ort relaxed/native simd/ort simd/native
printf '%-16s %11.2f %10.2f %10.2f %10.2f %10.2f %12s %15s %10s %10s\n' mobilenet_v2 "$xm" "$sm" "$cm" "$om" "$nm" \
  "$(ratio "$xm" "$om")" "$(ratio "$xm" "$nm")" "$(ratio "$sm" "$om")" "$(ratio "$sm" "$nm")"

# The same three wasm runs in headless Chromium (CHROMIUM=0 skips), in a page
# that interleaves them itself (bench/web/bench.mjs).
if [[ ${CHROMIUM:-1} == 1 ]]; then
  site=$out/site
  rm -rf "$site" && mkdir -p "$site/case"
  cp -r "$out/simd" "$out/scalar" "$site/"
  cp bench/web/bench.html bench/web/bench.mjs examples/web/www/npy.mjs "$out/mobilenet_v2.onnx" "$site/"
  cp "$dir/cases/0/in0.npy" "$dir/cases/0/out0.npy" "$site/case/"
  ln -s "$ORT_DIR/node_modules/onnxruntime-web/dist" "$site/ort"
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  python3 -m http.server --bind 127.0.0.1 --directory "$site" "$port" >"$out/http.log" 2>&1 &
  server=$!
  trap 'kill $server' EXIT
  for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
  taskset -c 0 python3 examples/web/browse.py --timeout 900 \
    "http://127.0.0.1:$port/bench.html?rounds=$ROUNDS&iters=$ITERS&atol=$atol&rtol=$rtol" "$out/chromium.html"
  python3 - "$out/chromium.html" <<'PY'
import html, json, re, sys
dom = open(sys.argv[1]).read()
m = re.search(r'data-results="([^"]*)"', dom)
if not m:
    sys.exit("error: the Chromium run gave no results: " + re.sub(r"<[^>]+>", " ", dom)[-400:])
r = json.loads(html.unescape(m.group(1)))
x, s, c, o = r["etch-wasm-relaxed"], r["etch-wasm-simd"], r["etch-wasm-scalar"], r["onnxruntime-web"]
print(f"chromium: etch-wasm-relaxed {x:.2f} ms, relaxed/ort {x / o:.2f}, etch-wasm-simd {s:.2f} ms, etch-wasm-scalar {c:.2f} ms, onnxruntime-web {o:.2f} ms; simd/ort {s / o:.2f}, scalar/simd {c / s:.2f}")
PY
  echo "(chromium $(chromium --version 2>/dev/null | awk '{print $2}'), same core)"
fi
flags=$(grep -m1 '^flags' /proc/cpuinfo | tr ' ' '\n' | grep -E '^(avx2|fma|avx512f)$' | xargs)
echo "($(date -u +%F), node $(node --version), onnxruntime-web $(node -p "require('$ORT_DIR/node_modules/onnxruntime-web/package.json').version"), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs) [$flags]; medians of $ROUNDS interleaved rounds of $ITERS, taskset -c 0)"
