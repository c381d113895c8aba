#!/usr/bin/env bash
# cargo's runner for test.sh: puts the relaxed build's min/max back to pmin/pmax
# ($UNRELAX_BIN, tools/wasm-unrelax), as build-mobilenet.sh does for the page,
# then runs the test binary under node's WASI. UNRELAX=0 runs it as linked.
set -euo pipefail
file=$1
shift
if [[ ${UNRELAX:-1} != 0 ]]; then
  "${UNRELAX_BIN:?set by test.sh}" "$file" "$file.unrelaxed" >&2
  file=$file.unrelaxed
fi
exec node --no-warnings --experimental-wasm-relaxed-simd "$(dirname "$0")/wasi-run.mjs" "$file" "$@"
