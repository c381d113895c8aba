#!/usr/bin/env bash
# Builds the image classifier's modules from the zoo ($ETCH_ZOO, else
# ../shared/models beside the checkout): mobilenet_v2 and mobilenet_v2_int8,
# each as OUT/<name>.wasm without its weights, OUT/<name>.bin (the weights,
# fetched by the page) and OUT/<name>.json (where they go in memory). The
# programs are linked into mobilenet/models/, never committed.
# SIMD=0 builds without wasm SIMD128 (the scalar kernels), into its own target dir.
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
# .cargo/config.toml turns simd128 on; RUSTFLAGS replaces its flags.
if [[ ${SIMD:-1} == 1 ]]; then
  target_dir=${CARGO_TARGET_DIR:-target}
else
  export RUSTFLAGS="-C target-feature=-simd128" target_dir=${CARGO_TARGET_DIR:-target}/scalar
fi
for name in mobilenet_v2 mobilenet_v2_int8; do
  features=$([[ $name == *int8 ]] && echo --features=int8 || true)
  CARGO_TARGET_DIR=$target_dir RUSTC_BOOTSTRAP=1 RUSTC=/usr/bin/rustc \
    /usr/bin/cargo build --release --locked -p mobilenet-web $features
  # Kept whole too, for the sizes with weights inside.
  cp "$target_dir/wasm32-unknown-unknown/release/mobilenet_web.wasm" "$out/$name.full.wasm"
  python3 split_weights.py "$out/$name.full.wasm" "$out/$name" "$target_dir"/etch/*.weights.bin
done
