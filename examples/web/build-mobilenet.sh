#!/usr/bin/env bash
# Builds the image classifier's modules from the zoo ($ETCH_ZOO, else
# ../shared/models beside the checkout): mobilenet_v2 and mobilenet_v2_int8,
# each as OUT/<name>.wasm without its weights, OUT/<name>.bin (the weights,
# fetched by the page) and OUT/<name>.json (where they go in memory). The
# programs are linked into mobilenet/models/, never committed.
# SIMD=0 builds without wasm SIMD128 (the scalar kernels), into its own target dir.
# With SIMD128 each model is also built with relaxed SIMD (fused multiply-add) as
# OUT/<name>.relaxed.wasm and .json, sharing <name>.bin; the page takes it where the
# engine validates relaxed SIMD (Chromium since 114). RELAXED=0 skips it. LLVM turns
# every pmin/pmax of that build into relaxed_min/max, which lose a NaN on x86_64:
# tools/wasm-unrelax puts them back (UNRELAX=0 leaves them, to see the difference).
# Usage: build-mobilenet.sh OUT_DIR
set -euo pipefail
out=$(realpath -m "${1:?usage: build-mobilenet.sh OUT_DIR}")
cd "$(dirname "$0")"
zoo=$(realpath "${ETCH_ZOO:-../../../shared/models}")
mkdir -p mobilenet/models "$out"
for name in mobilenet_v2 mobilenet_v2_int8; do
  [[ -f $zoo/$name/model.pte ]] || { echo "error: $zoo/$name/model.pte is missing" >&2; exit 1; }
  ln -sfn "$zoo/$name/model.pte" "mobilenet/models/$name.pte"
done
# The host tool first, from the root (this directory's .cargo/config.toml is for wasm).
target=$(realpath -m "${CARGO_TARGET_DIR:-../../target}")
(cd ../.. && env -u RUSTFLAGS CARGO_TARGET_DIR="$target" cargo build --release --locked -q -p wasm-unrelax)
unrelax=$target/release/wasm-unrelax
# .cargo/config.toml turns simd128 on; RUSTFLAGS replaces its flags.
if [[ ${SIMD:-1} == 1 ]]; then
  target_dir=${CARGO_TARGET_DIR:-target}
else
  export RUSTFLAGS="-C target-feature=-simd128" target_dir=${CARGO_TARGET_DIR:-target}/scalar
fi
build() { # NAME TARGET_DIR OUT_STEM [unrelax]
  local features wasm=$2/wasm32-unknown-unknown/release/mobilenet_web.wasm
  features=$([[ $1 == *int8 ]] && echo --features=int8 || true)
  CARGO_TARGET_DIR=$2 RUSTC_BOOTSTRAP=1 RUSTC=/usr/bin/rustc \
    /usr/bin/cargo build --release --locked -p mobilenet-web $features
  # Kept whole too, for the sizes with weights inside.
  if [[ ${4:-} == unrelax && ${UNRELAX:-1} != 0 ]]; then
    "$unrelax" "$wasm" "$3.full.wasm"
  else
    cp "$wasm" "$3.full.wasm"
  fi
  python3 split_weights.py "$3.full.wasm" "$3" "$2"/etch/*.weights.bin
}
for name in mobilenet_v2 mobilenet_v2_int8; do
  build "$name" "$target_dir" "$out/$name"
done
if [[ ${SIMD:-1} == 1 && ${RELAXED:-1} == 1 ]]; then
  export RUSTFLAGS="-C target-feature=+simd128,+relaxed-simd"
  for name in mobilenet_v2 mobilenet_v2_int8; do
    build "$name" "$target_dir/relaxed" "$out/$name.relaxed" unrelax
    cmp -s "$out/$name.bin" "$out/$name.relaxed.bin" || { echo "error: $name's relaxed build has other weights" >&2; exit 1; }
    rm "$out/$name.relaxed.bin" "$out/$name.relaxed.full.wasm"
  done
fi
