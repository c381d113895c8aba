#!/usr/bin/env bash
# Rewrites every crate in generated/ from tests/fixtures with `etch compile`.
# CI runs .ci/drift.sh, which fails when the result differs from what is committed.
set -euo pipefail
cd "$(dirname "$0")/.."

MODELS=(elementwise mlp codec lstm digits_cnn)

# Into a scratch dir first: the workspace's tests depend on some of these crates,
# so they must stay in place while cargo runs etch. It sits as deep as generated/<m>,
# so the relative path etch writes to kernels/ stays right after the move.
tmp="$(mktemp -d ./.regen.XXXXXX)"
trap 'rm -rf "$tmp"' EXIT
for m in "${MODELS[@]}"; do
  cargo run --quiet -p etch-cli --bin etch -- \
    compile "tests/fixtures/$m/model.pte" -o "$tmp/$m" --name "$m" --kernels-path kernels
done
for m in "${MODELS[@]}"; do
  # Replaced whole, so a file etch no longer writes does not linger.
  rm -rf "generated/$m"
  mv "$tmp/$m" "generated/$m"
done
